"""権限 can change (issue 16, item 5): a client admin makes a member of its company an admin and
back; the agency admin does that for any company and for the agency's own accounts.

Threat: a company (or the agency) left without any active admin, so nobody can manage its
accounts any more; two demotions at once both passing a "another admin remains" check made
before either wrote. The last active admin of a side is refused, in the same transaction as the
change, by a counter's condition.
"""
from __future__ import annotations

import threading
import uuid

import pytest

from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound
from chalicelib.models.events import AccountEvent
from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER, AdminCount, User
from chalicelib.services import accounts
from localdev import mailbox
from localdev.emulator import FAULTS
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_user

pytestmark = pytest.mark.usefixtures("no_faults")

LAST_ADMIN = ("この会社で有効な管理者はこのアカウントだけのため、管理者から外したり無効にしたりできません。"
              "先に別のアカウントを管理者にしてください。")
LAST_AGENCY_ADMIN = "有効な管理者はこのアカウントだけのため、管理者から外したり無効にしたりできません。先に別の担当者を管理者にしてください。"


@pytest.fixture
def company(aws):
    return make_company(f"株式会社カエデ{uuid.uuid4().hex[:6]}")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="楓 花子")


@pytest.fixture
def member(company):
    return make_client(company, name="椿 一郎")


def history(user) -> list[AccountEvent]:
    return User.with_history(user.user_id)[1]


def mails_to(user) -> list[dict]:
    return [m for m in mailbox.messages() if user.email in m["to"]]


def test_a_client_admin_makes_a_member_an_admin_and_back_each_an_event_and_a_mail(client, client_admin, member):
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/accounts/{member.user_id}"))
    assert "管理者にする" in page
    response = web.post(f"/accounts/{member.user_id}/role", {"role": "admin"})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=role_changed")
    assert User.find(member.user_id).role == CLIENT_ADMIN
    event = history(member)[0]
    assert event.event == "role_changed" and event.actor_name == "楓 花子"
    assert event.change_list() == [("role", "メンバー", "クライアント管理者")]
    mail = mails_to(member)[0]
    assert "アカウントの権限が変わりました" in mail["subject"]
    assert "権限: メンバー → クライアント管理者" in mail["text"] and "楓 花子" in mail["text"]
    page = web.text(web.get(f"/accounts/{member.user_id}"))
    assert "管理者から外す" in page
    assert web.post(f"/accounts/{member.user_id}/role", {"role": "member"}).status_code == 303
    assert User.find(member.user_id).role == CLIENT_MEMBER
    assert [e.event for e in history(member)][:2] == ["role_changed", "role_changed"]
    assert "権限: クライアント管理者 → メンバー" in mails_to(member)[0]["text"]


def test_the_last_active_admin_is_refused_at_the_field_and_cannot_be_deactivated(client, company, client_admin,
                                                                                  member):
    web = signed_in(client, client_admin)
    web.get(f"/accounts/{client_admin.user_id}")
    refused = web.post(f"/accounts/{client_admin.user_id}/role", {"role": "member"})
    assert refused.status_code == 400
    assert f'<p class="field__error" id="role-error">{LAST_ADMIN}</p>' in web.text(refused)
    assert User.find(client_admin.user_id).role == CLIENT_ADMIN
    agency = make_user(role=AGENCY_ADMIN)
    with pytest.raises(Invalid) as deactivating:
        accounts.set_active(agency, client_admin.user_id, active=False)
    assert deactivating.value.errors == {"_form": LAST_ADMIN}
    assert User.find(client_admin.user_id).active
    # With a second admin, either may go.
    accounts.set_admin(client_admin, member.user_id, admin=True)
    accounts.set_active(agency, client_admin.user_id, active=False)
    with pytest.raises(Invalid):
        accounts.set_admin(agency, member.user_id, admin=False)
    assert int(AdminCount.find(company.company_id).count) == 1


def test_two_demotions_at_once_leave_one_admin(company, client_admin):
    """Both read two admins; only the counter's condition, in each transaction, decides."""
    agency = make_user(role=AGENCY_ADMIN)
    for _ in range(3):
        others = [make_client(company, role=CLIENT_ADMIN) for _ in range(2)]
        admins = [client_admin, *others]
        outcomes: list[str] = []
        start = threading.Barrier(len(admins))

        def demote(user):
            start.wait()
            try:
                accounts.set_admin(agency, user.user_id, admin=False)
                outcomes.append("demoted")
            except Invalid:
                outcomes.append("refused")

        threads = [threading.Thread(target=demote, args=(user,)) for user in admins]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["demoted", "demoted", "refused"]
        left = [u for u in User.members(company.company_id) if u.role == CLIENT_ADMIN and u.active]
        assert len(left) == 1 == int(AdminCount.find(company.company_id).count)
        client_admin = left[0]


def test_a_demotion_and_a_deactivation_at_once_leave_one_admin(company, client_admin):
    agency = make_user(role=AGENCY_ADMIN)
    second = make_client(company, role=CLIENT_ADMIN)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def run(change):
        start.wait()
        try:
            change()
            outcomes.append("done")
        except Invalid:
            outcomes.append("refused")

    threads = [threading.Thread(target=run, args=(lambda: accounts.set_admin(agency, client_admin.user_id, admin=False),)),
               threading.Thread(target=run, args=(lambda: accounts.set_active(agency, second.user_id, active=False),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    assert len([u for u in User.members(company.company_id) if u.counts_as_admin]) == 1


def test_an_account_changed_meanwhile_is_a_conflict(company, client_admin, member):
    stale = User.find(member.user_id)
    accounts.edit_account(client_admin, member.user_id, accounts.AccountForm(
        name="椿 一郎", kana="ツバキ イチロウ", phone="03-0000-0000", email=member.email), version=int(stale.version))
    from chalicelib.services.accounts import _admin_change  # the transaction, on the item as read before
    with pytest.raises(Conflict):
        _admin_change(stale, [User.role.set(CLIENT_ADMIN)], condition=User.role == CLIENT_MEMBER, leaving=False,
                      field="role")
    assert User.find(member.user_id).role == CLIENT_MEMBER


def test_who_may_change_roles(company, client_admin, member):
    other_company = make_company("他社")
    outsider = make_client(other_company, role=CLIENT_ADMIN)
    with pytest.raises(NotFound):  # another company's account does not exist for a client
        accounts.set_admin(outsider, member.user_id, admin=True)
    with pytest.raises(Forbidden):
        accounts.set_admin(member, client_admin.user_id, admin=False)
    staff = make_user(role=AGENCY_STAFF)
    with pytest.raises(Forbidden):
        accounts.set_admin(staff, member.user_id, admin=True)
    with pytest.raises(NotFound):  # a client never reaches the agency's accounts
        accounts.set_admin(client_admin, staff.user_id, admin=True)
    inactive = make_client(company, active=False)
    with pytest.raises(Invalid) as refused:
        accounts.set_admin(client_admin, inactive.user_id, admin=True)
    assert "無効のアカウントは管理者にできません" in refused.value.errors["role"]


def test_the_agency_admin_makes_staff_an_admin_and_back(client):
    admin = make_user(role=AGENCY_ADMIN, name="管理 太郎")
    staff = make_user(role=AGENCY_STAFF, name="担当 次郎")
    web = signed_in(client, admin, dashboard=False)
    page = web.text(web.get(f"/accounts/{staff.user_id}"))
    assert "管理者にする" in page
    assert web.post(f"/accounts/{staff.user_id}/role", {"role": "admin"}).status_code == 303
    assert User.find(staff.user_id).role == AGENCY_ADMIN
    assert "権限: 担当者 → 管理者" in mails_to(staff)[0]["text"]
    # The new admin can manage staff now, and make the first one staff again.
    accounts.set_admin(User.find(staff.user_id), admin.user_id, admin=False)
    assert User.find(admin.user_id).role == AGENCY_STAFF
    assert history(admin)[0].change_list() == [("role", "管理者", "担当者")]


def test_the_counter_starts_from_the_accounts_that_exist(company):
    """Companies older than the counter: it is counted from their active admins when first needed."""
    first = make_client(company, role=CLIENT_ADMIN)
    make_client(company, role=CLIENT_ADMIN, active=False)
    assert AdminCount.find(company.company_id) is None
    with pytest.raises(Invalid):
        accounts.set_admin(make_user(role=AGENCY_ADMIN), first.user_id, admin=False)
    assert int(AdminCount.find(company.company_id).count) == 1


def test_the_agency_admin_registers_a_further_agency_admin(client):
    admin = make_user(role=AGENCY_ADMIN)
    web = signed_in(client, admin, dashboard=False)
    page = web.text(web.get("/staff/new"))
    assert "<legend>権限</legend>" in page and 'value="staff" checked' in page
    counter = AdminCount.ensure(None)
    new_id = f"admin{uuid.uuid4().hex[:8]}"
    response = web.post("/staff", {"user_id": new_id, "name": "管理 三郎", "kana": "カンリ サブロウ",
                                   "phone": "03-1111-2222", "email": f"{new_id}@example.com", "role": "admin"})
    assert response.headers["location"] == f"/accounts/{new_id}?notice=created"
    assert User.find(new_id).role == AGENCY_ADMIN
    assert int(AdminCount.find(None).count) == int(counter.count) + 1


def test_an_admin_who_hands_the_role_over_lands_on_the_dashboard(client, company, client_admin, member):
    accounts.set_admin(client_admin, member.user_id, admin=True)
    web = signed_in(client, client_admin)
    web.get(f"/accounts/{client_admin.user_id}")
    response = web.post(f"/accounts/{client_admin.user_id}/role", {"role": "member"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert User.find(client_admin.user_id).role == CLIENT_MEMBER
    assert web.get("/accounts/new").status_code == 403


def test_deactivating_and_reactivating_are_mailed_to_the_account(client, client_admin, member):
    web = signed_in(client, client_admin)
    web.get(f"/accounts/{member.user_id}")
    response = web.post(f"/accounts/{member.user_id}/deactivate", {"confirmed": "1"})
    assert response.headers["location"].endswith("notice=deactivated")
    assert "ご本人にメールでお知らせしました" in web.text(web.get(response.headers["location"]))
    told = mails_to(member)[0]
    assert "アカウントの状態が変わりました" in told["subject"]
    assert "状態: 有効 → 無効(ログインできません)" in told["text"] and "変更した人: 楓 花子" in told["text"]
    response = web.post(f"/accounts/{member.user_id}/reactivate", {})
    assert response.headers["location"].endswith("notice=reactivated")
    assert "状態: 無効(ログインできません) → 有効" in mails_to(member)[0]["text"]


def test_a_change_whose_mail_ses_refuses_stands_and_the_page_says_the_mail_did_not_leave(client, company,
                                                                                         client_admin, member):
    leaving = make_client(company, name="柊 三郎")
    web = signed_in(client, client_admin)
    web.get(f"/accounts/{member.user_id}")
    FAULTS.fail("ses", "SendRawEmail", "MessageRejected")  # not retried by botocore: the page answers at once
    response = web.post(f"/accounts/{member.user_id}/role", {"role": "admin"})
    assert response.headers["location"].endswith("notice=role_changed_mail_failed")
    assert User.find(member.user_id).role == CLIENT_ADMIN
    assert history(member)[0].event == "role_changed"
    web.get(f"/accounts/{leaving.user_id}")
    response = web.post(f"/accounts/{leaving.user_id}/deactivate", {"confirmed": "1"})
    assert response.headers["location"].endswith("notice=deactivated_mail_failed")
    FAULTS.clear()
    assert "お知らせメールは送信できませんでした" in web.text(web.get(response.headers["location"]))
    assert not User.find(leaving.user_id).active and mails_to(member) == mails_to(leaving) == []


@pytest.fixture
def one_agency_admin_left(aws):
    """Sets the agency's admin counter as a stage with a single active agency admin has it: this
    worker's table holds many agency admins made by other tests, so the counter is set to one and
    put back afterwards (tests in one worker run one after another, so no other test sees it)."""
    counted: list[int] = []

    def set_to_one() -> None:
        counter = AdminCount.ensure(None)
        counted.append(int(counter.count))
        counter.update(actions=[AdminCount.count.set(1)])

    yield set_to_one
    if counted:
        AdminCount.find(None).update(actions=[AdminCount.count.add(counted[0] - 1)])


def test_the_agencys_last_admin_is_refused_with_the_agencys_words(client, one_agency_admin_left):
    admin = make_user(role=AGENCY_ADMIN, name="管理 太郎")
    other = make_user(role=AGENCY_ADMIN, name="管理 次郎")
    one_agency_admin_left()
    web = signed_in(client, admin, dashboard=False)
    web.get(f"/accounts/{other.user_id}")
    refused = web.post(f"/accounts/{other.user_id}/role", {"role": "member"})
    assert refused.status_code == 400
    assert f'<p class="field__error" id="role-error">{LAST_AGENCY_ADMIN}</p>' in web.text(refused)
    with pytest.raises(Invalid) as deactivating:
        accounts.set_active(admin, other.user_id, active=False)
    assert deactivating.value.errors == {"_form": LAST_AGENCY_ADMIN}
    assert User.find(other.user_id).role == AGENCY_ADMIN and User.find(other.user_id).active
