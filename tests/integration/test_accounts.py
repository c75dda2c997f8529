"""Accounts, companies and roles (manual section 4 and the agency's side), against the emulator."""
from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from chalicelib.models.agency import DEFAULT_COLOUR, AgencySettings
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER, User
from chalicelib.services import accounts, auth, throttle
from chalicelib.errors import AuthenticationFailed, Invalid
from chalicelib.messages import ACCOUNT_EVENTS, t
from chalicelib.services.throttle import Throttled
from tests.support.accounts import signed_in
from tests.support.agent import Agent
from tests.support.factories import PASSWORD, give_password, make_client, make_company, register, unique_id
from tests.support.mailbox import mail_to

NEW_PASSWORD = "sakura-fubuki-2026"


def temporary_password(address: str) -> str:
    return re.search(r"仮パスワード: (\S+)", mail_to(address)["text"]).group(1)


@pytest.fixture
def agency_admin(make_user):
    return make_user(name="代表 管理者")


@pytest.fixture
def company():
    return make_company("株式会社さくら")


# Registration and validation.

def test_first_account_of_a_company_is_its_client_admin_and_later_ones_members(agency_admin, company):
    first = register(agency_admin, company).user
    second = register(agency_admin, company).user
    assert (first.role, second.role) == (CLIENT_ADMIN, CLIENT_MEMBER)


def test_registration_sends_the_login_guidance_and_the_first_login_forces_a_change(client, agency_admin, company):
    created = register(agency_admin, company, name="田中 一郎")
    mail = mail_to(created.user.email)
    assert mail["subject"].endswith("ログインのご案内")
    for part in (f"ユーザーID: {created.user.user_id}", "/login", "有効期限"):
        assert part in mail["text"]
    agent = Agent(client)
    assert agent.login(created.user.user_id, temporary_password(created.user.email)).headers["location"] == "/password"


def test_client_admin_registers_through_the_manual_screens(client, agency_admin, company):
    admin = register(agency_admin, company).user
    admin.update(actions=[User.must_change_password.set(False)])
    give_password(admin)
    web = signed_in(client, admin, dashboard=False)
    listing = web.text(web.get("/accounts"))
    assert "アカウント一覧" in listing and "新規アカウント登録" in listing
    form = web.text(web.get("/accounts/new"))
    for label in ("ユーザーID", "名前", "名前(カナ)", "電話番号", "メールアドレス", "アカウント登録"):
        assert label in form
    response = web.post("/accounts", {"user_id": "suzuki01", "name": "鈴木 次郎", "kana": "すずき ｼﾞﾛｳ",
                                      "phone": "090-1234-5678", "email": "jiro@example.com"})
    assert response.headers["location"] == "/accounts/suzuki01?notice=created"
    detail = web.text(web.get(response.headers["location"]))
    assert "アカウント詳細" in detail and "スズキ ジロウ" in detail and "メンバー" in detail
    assert User.find("suzuki01").company_id == company.company_id  # the tenant came from the session


def test_every_field_error_is_shown_at_once_and_the_input_is_kept(client, agency_admin, company):
    taken = register(agency_admin, company).user
    web = signed_in(client, agency_admin, dashboard=False)
    web.get(f"/clients/{company.company_id}/accounts/new")
    typed = {"user_id": taken.user_id.upper(), "name": "", "kana": "yamada", "phone": "03-abcd",
             "email": "not-an-address"}
    response = web.post(f"/clients/{company.company_id}/accounts", typed)
    page = web.text(response)
    assert response.status_code == 400
    for message in ("入力してください", "カタカナで入力してください",
                    "電話番号は数字とハイフン", "メールアドレスの形式が正しくありません"):
        assert message in page, message
    for value in ("yamada", "03-abcd", "not-an-address", taken.user_id.upper()):
        assert f'value="{value}"' in page


def _valid_form(user_id: str, tag: str = "probe") -> dict[str, str]:
    return {"user_id": user_id, "name": "確認 太郎", "kana": "カクニン タロウ", "phone": "03-1234-5678",
            "email": f"{tag}{uuid.uuid4().hex[:8]}@example.com"}


def test_a_taken_id_is_said_only_when_every_other_field_is_valid(client, agency_admin, company):
    """Threat: a client admin learning which IDs exist anywhere (other companies, the agency)
    from forms that could never have created anything. The manual's "既に使われているIDは指定
    できません" is said only for a form that would otherwise have been saved."""
    client_admin = make_client(company, role=CLIENT_ADMIN)
    web = signed_in(client, client_admin)
    web.get("/accounts/new")
    invalid = {**_valid_form(agency_admin.user_id), "kana": "yamada"}
    page = web.text(web.post("/accounts", invalid))
    assert web.last.status_code == 400 and "カタカナで入力してください" in page and "既に使われています" not in page
    web.get("/accounts/new")
    page = web.text(web.post("/accounts", _valid_form(agency_admin.user_id)))
    assert web.last.status_code == 400 and "既に使われています" in page


def test_the_form_compares_ids_the_way_sign_in_does(client, agency_admin, company):
    """An ID the form calls taken is one sign-in reaches, typed the same way (full-width, any case)."""
    owner = register(agency_admin, company, user_id=unique_id("Wide")).user
    give_password(owner)
    typed = owner.user_id.upper().translate(
        {code: code + 0xFEE0 for code in range(0x21, 0x7F)})  # full-width letters and digits
    with pytest.raises(Invalid) as refused:
        accounts.register_account(agency_admin, accounts.AccountForm(**_valid_form(typed)), company_id=company.company_id)
    assert "既に使われています" in refused.value.errors["user_id"]
    assert auth.login(typed, PASSWORD).user.user_id == owner.user_id


def test_taken_id_answers_are_limited_per_account(agency_admin, company):
    """Threat: a client admin walking a list of guessed IDs through the form. After
    TAKEN_ID_ANSWERS_PER_HOUR answers that an ID is taken, the account is told to try later, for
    any ID (so the answer says nothing), and nothing is created; other accounts are not affected."""
    prober, other = make_client(company, role=CLIENT_ADMIN), make_client(company, role=CLIENT_ADMIN)
    # The answers are counted per clock hour: the minute the test steps forward stays in one hour
    # (at 03:59 a wall-clock start would count the later answers in a new hour).
    now = datetime.now(timezone.utc).replace(minute=10, second=0, microsecond=0)
    for _ in range(throttle.TAKEN_ID_ANSWERS_PER_HOUR):
        with pytest.raises(Invalid) as refused:
            accounts.register_account(prober, accounts.AccountForm(**_valid_form(agency_admin.user_id)),
                                      company_id=company.company_id, now=now)
        assert "既に使われています" in refused.value.errors["user_id"]
    free = unique_id("free")
    for user_id in (agency_admin.user_id, free):
        with pytest.raises(Invalid) as limited:
            accounts.register_account(prober, accounts.AccountForm(**_valid_form(user_id)),
                                      company_id=company.company_id, now=now + timedelta(minutes=1))
        assert limited.value.errors["user_id"] == t("account.user_id_check_limited")
    assert User.find(free) is None
    with pytest.raises(Invalid) as refused:
        accounts.register_account(other, accounts.AccountForm(**_valid_form(agency_admin.user_id)),
                                  company_id=company.company_id, now=now)
    assert "既に使われています" in refused.value.errors["user_id"]
    later = now + timedelta(hours=1, minutes=1)
    created = accounts.register_account(prober, accounts.AccountForm(**_valid_form(free)),
                                        company_id=company.company_id, now=later)
    assert created.user.user_id == free


def test_each_taken_id_answer_is_recorded_for_the_agency_admin(client, agency_admin, company):
    """Threat: probing for IDs unnoticed. Each refusal for a taken ID is written to the history
    of the account that asked (who, when, which ID), which the agency admin reads on its page;
    the client does not see that history."""
    prober = make_client(company, role=CLIENT_ADMIN)
    web = signed_in(client, prober)
    web.get("/accounts/new")
    web.post("/accounts", _valid_form(agency_admin.user_id))
    assert "既に使われています" in web.text(web.last)
    admin = signed_in(client, agency_admin, dashboard=False)
    detail = admin.text(admin.get(f"/accounts/{prober.user_id}"))
    history = detail[detail.index('id="history-title"'):]
    assert ACCOUNT_EVENTS["user_id_taken"] in history and agency_admin.user_id in history
    assert prober.name in history
    own = web.text(web.get(f"/accounts/{prober.user_id}"))
    assert agency_admin.user_id not in own


@pytest.mark.parametrize("user_id", ["abcd", "abc-12", "ユーザー123", "a" * 33])
def test_user_id_must_be_five_or_more_letters_and_digits(agency_admin, company, user_id):
    with pytest.raises(Invalid) as refused:
        register(agency_admin, company, user_id=user_id)
    assert "半角の英字と数字で、5文字以上" in refused.value.errors["user_id"]


def test_kana_is_normalised_to_full_width_katakana(agency_admin, company):
    form = accounts.AccountForm(user_id="kanatest01", name="山田", kana="ﾔﾏﾀﾞ　はなこ", phone="０３-1234-5678",
                                email="ｈａｎａｋｏ@example.com")
    user = accounts.register_account(agency_admin, form, company_id=company.company_id).user
    assert (user.kana, user.phone, user.email) == ("ヤマダ ハナコ", "03-1234-5678", "hanako@example.com")


def test_two_registrations_of_one_id_racing_only_one_wins(agency_admin, company):
    """Uniqueness is decided by the conditional write, not by the check before it."""
    results: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(index: int):
        form = accounts.AccountForm(user_id="racer0001", name=f"競争 {index}", kana="キョウソウ",
                                    phone="03-0000-0000", email=f"racer{index}@example.com")
        barrier.wait()
        try:
            accounts.register_account(agency_admin, form, company_id=company.company_id)
            results.append("ok")
        except Invalid as refused:
            results.append(refused.errors["user_id"])

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1
    assert all("既に使われています" in r for r in results if r != "ok")


def test_simultaneous_first_accounts_make_exactly_one_client_admin(agency_admin):
    company = make_company("同時登録の会社")
    barrier = threading.Barrier(5)
    created: list[User] = []

    def attempt():
        barrier.wait()
        created.append(register(agency_admin, company).user)

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(u.role for u in created) == [CLIENT_ADMIN] + [CLIENT_MEMBER] * 4


# Re-sending the guidance, editing, deactivating.

def test_resending_the_guidance_replaces_the_temporary_password(client, agency_admin, company):
    created = register(agency_admin, company)
    old = created.temporary_password
    renewed = accounts.resend_guidance(agency_admin, created.user.user_id)
    assert renewed.temporary_password != old and renewed.mail_sent
    with pytest.raises(AuthenticationFailed):
        auth.login(created.user.user_id, old)
    assert auth.login(created.user.user_id, renewed.temporary_password).user.must_change_password


def test_edit_records_old_and_new_and_the_agency_sees_the_history(client, agency_admin, company):
    user = register(agency_admin, company, name="旧 名前").user
    web = signed_in(client, agency_admin, dashboard=False)
    web.get(f"/accounts/{user.user_id}/edit")
    response = web.post(f"/accounts/{user.user_id}/edit", {"name": "新 名前", "kana": "シン ナマエ",
                                                           "phone": user.phone, "email": user.email,
                                                           "version": str(User.find(user.user_id).version)})
    assert response.headers["location"].endswith("?notice=updated")
    page = web.text(web.get(response.headers["location"]))
    assert "アカウント情報を更新しました。" in page
    assert "旧 名前 → 新 名前" in page and "アカウント登録" in page and "代表 管理者" in page


def test_the_later_of_two_simultaneous_edits_is_refused(client, agency_admin, company):
    user = register(agency_admin, company).user
    version = User.find(user.user_id).version
    first, second = signed_in(client, agency_admin, dashboard=False), signed_in(client, agency_admin, dashboard=False)
    fields = {"kana": "ヤマダ", "phone": user.phone, "email": user.email, "version": str(version)}
    first.get(f"/accounts/{user.user_id}/edit")
    second.get(f"/accounts/{user.user_id}/edit")
    assert first.post(f"/accounts/{user.user_id}/edit", {**fields, "name": "一人目"}).status_code == 303
    late = second.post(f"/accounts/{user.user_id}/edit", {**fields, "name": "二人目"})
    assert late.status_code == 409
    assert "ほかの人が先に変更しました" in second.text(late)
    assert 'value="二人目"' in second.text(late)  # what they typed is not lost
    assert User.find(user.user_id).name == "一人目"


def test_deactivation_ends_sessions_at_once_and_blocks_login_until_reactivated(client, agency_admin, company):
    register(agency_admin, company)  # the company's admin: the last active admin cannot be deactivated
    user = register(agency_admin, company).user
    give_password(user)
    victim = signed_in(client, user, dashboard=False)
    assert victim.get("/").status_code == 200
    admin = signed_in(client, agency_admin, dashboard=False)
    admin.get(f"/accounts/{user.user_id}")
    assert admin.post(f"/accounts/{user.user_id}/deactivate", {"confirmed": "1"}).headers["location"].endswith("deactivated")
    assert victim.get("/").headers["location"] == "/login"
    assert Agent(client).login(user.user_id, PASSWORD).status_code == 401
    admin.get(f"/accounts/{user.user_id}")
    admin.post(f"/accounts/{user.user_id}/reactivate", {})
    assert Agent(client).login(user.user_id, PASSWORD).status_code == 303
    history = admin.text(admin.get(f"/accounts/{user.user_id}"))
    assert "無効化" in history and "再有効化" in history


def test_nobody_deactivates_themselves(client, agency_admin):
    with pytest.raises(Invalid):
        accounts.set_active(agency_admin, agency_admin.user_id, active=False)


# Password reset by e-mail.

def _reset_link(address: str) -> str:
    mail = mail_to(address, subject="パスワード再設定")
    return urlsplit(re.search(r"https?://\S+/password/reset/\S+", mail["text"]).group(0)).path


def test_password_reset_gives_the_same_answer_and_a_one_time_link(client, agency_admin, company):
    user = register(agency_admin, company).user
    give_password(user)
    other_session = signed_in(client, user, dashboard=False)
    web = Agent(client)
    web.get("/password/forgot")
    known = web.text(web.post("/password/forgot", {"user_id": user.user_id}))
    web.get("/password/forgot")
    unknown = web.text(web.post("/password/forgot", {"user_id": "nobodyhere99"}))
    answer = "登録されていれば、パスワード再設定用のリンク"
    assert answer in known and answer in unknown
    link = _reset_link(user.email)
    form = web.text(web.get(link))
    assert "新しいパスワード(確認)" in form
    done = web.post(link, {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert done.headers["location"] == "/login?notice=reset_done"
    assert other_session.get("/").headers["location"] == "/login"  # every session ended
    assert web.get(link).status_code == 404  # the link worked once
    assert "無効か、有効期限が切れています" in web.text(web.last)
    assert auth.login(user.user_id, NEW_PASSWORD).user.user_id == user.user_id


def test_reset_links_expire(agency_admin, company):
    user = register(agency_admin, company).user
    auth.request_password_reset(user.user_id)
    token = _reset_link(user.email).rsplit("/", 1)[1]
    assert auth.reset_link_valid(token)
    assert not auth.reset_link_valid(token, now=datetime.now(timezone.utc) + timedelta(minutes=31))


# Throttling.

def test_failures_slow_down_then_lock_and_the_agency_admin_can_unlock(client, agency_admin, company):
    user = register(agency_admin, company).user
    give_password(user)
    now = datetime.now(timezone.utc)
    here = "127.0.0.1"  # the address chalice's test client gives every request: the lock holds for it
    for attempt in range(3):
        with pytest.raises(AuthenticationFailed):
            auth.login(user.user_id, "wrong-password!", address=here, now=now + timedelta(seconds=attempt))
    with pytest.raises(Throttled) as slowed:
        auth.login(user.user_id, PASSWORD, address=here, now=now + timedelta(seconds=5))
    assert slowed.value.message_key == "login.slow_down"
    for attempt in range(2):
        with pytest.raises(AuthenticationFailed):
            auth.login(user.user_id, "wrong-password!", address=here, now=now + timedelta(seconds=40 * (attempt + 1)))
    with pytest.raises(Throttled) as locked:
        auth.login(user.user_id, PASSWORD, address=here, now=now + timedelta(minutes=5))
    assert locked.value.message_key == "login.locked"
    web = Agent(client)
    page = web.text(web.login(user.user_id, PASSWORD))
    assert "ロックされています" in page and web.last.status_code == 429
    assert f"または{AgencySettings.load().name}に解除を依頼してください" in page  # the agency by name
    admin = signed_in(client, agency_admin, dashboard=False)
    detail = admin.text(admin.get(f"/accounts/{user.user_id}"))
    assert "ログインロック中" in detail and "ログイン失敗によるロック" in detail
    admin.post(f"/accounts/{user.user_id}/unlock", {})
    assert Agent(client).login(user.user_id, PASSWORD).status_code == 303


def test_unknown_ids_are_throttled_like_real_ones(aws):
    """Threat: telling real user IDs apart by whether failures lock them."""
    now = datetime.now(timezone.utc)
    for attempt in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login("ghostuser01", "whatever-pass", now=now + timedelta(seconds=40 * attempt))
    with pytest.raises(Throttled) as locked:
        auth.login("ghostuser01", "whatever-pass", now=now + timedelta(minutes=4))
    assert locked.value.message_key == "login.locked"


def test_failures_from_one_address_are_limited(aws, monkeypatch):
    monkeypatch.setenv("IRAI_LOGIN_FAILURES_PER_ADDRESS_HOUR", "4")
    now = datetime.now(timezone.utc)
    for index in range(4):
        with pytest.raises(AuthenticationFailed):
            auth.login(f"spray{index}user", "guess-password", address="198.51.100.7", now=now)
    with pytest.raises(Throttled) as limited:
        auth.login("spray9user", "guess-password", address="198.51.100.7", now=now)
    assert limited.value.message_key == "login.address_limited"
    with pytest.raises(AuthenticationFailed):  # another address is not affected
        auth.login("spray9user", "guess-password", address="198.51.100.8", now=now)


def test_failures_from_one_address_cannot_lock_staff_out_from_another(make_user):
    """Threat: a client who knows an agency login ID (or anyone) shutting the agency's staff out
    with five wrong passwords. Failures lock the ID for the address they came from only; from
    another address the right password signs in at once, while the failing address stays locked."""
    staff = make_user(role=AGENCY_STAFF)
    now = datetime.now(timezone.utc)
    attacker, office = "203.0.113.9", "198.51.100.20"
    for attempt in range(throttle.LOCK_AFTER):
        with pytest.raises(AuthenticationFailed):
            auth.login(staff.user_id, "wrong-password!", address=attacker, now=now + timedelta(seconds=40 * attempt))
    at = now + timedelta(minutes=4)
    assert auth.login(staff.user_id, PASSWORD, address=office, now=at).user.user_id == staff.user_id
    with pytest.raises(Throttled) as locked:
        auth.login(staff.user_id, PASSWORD, address=attacker, now=at)
    assert locked.value.message_key == "login.locked"


def test_guesses_spread_over_many_addresses_are_slowed_per_id(make_user):
    """Threat: a brute force spread over many addresses, each under its own limits. Once the ID
    has failed often, an address that has failed on it waits between tries, whichever address
    it is; an address that never failed on it (the staff's own network) is not slowed."""
    staff = make_user(role=AGENCY_STAFF)
    now = datetime.now(timezone.utc)
    for index in range(throttle.ID_SLOW_AFTER):
        with pytest.raises(AuthenticationFailed):
            auth.login(staff.user_id, "wrong-password!", address=f"203.0.113.{index}", now=now)
    with pytest.raises(Throttled) as slowed:
        auth.login(staff.user_id, "wrong-password!", address="203.0.113.0", now=now + timedelta(seconds=1))
    assert slowed.value.message_key == "login.slow_down"
    later = now + timedelta(seconds=throttle.ID_SLOW_SECONDS + 1)
    with pytest.raises(AuthenticationFailed):  # a slow-down, never a lock
        auth.login(staff.user_id, "wrong-password!", address="203.0.113.0", now=later)
    assert auth.login(staff.user_id, PASSWORD, address="198.51.100.20", now=now + timedelta(seconds=2)).user


def test_lock_expires_by_itself(make_user):
    user = make_user()
    now = datetime.now(timezone.utc)
    for attempt in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login(user.user_id, "wrong-password!", now=now + timedelta(seconds=40 * attempt))
    later = now + timedelta(minutes=throttle.LOCK_MINUTES + 5)
    assert auth.login(user.user_id, PASSWORD, now=later).user.user_id == user.user_id


# Staff and settings.

def test_agency_admin_registers_staff_and_changes_the_settings(client, agency_admin):
    web = signed_in(client, agency_admin, dashboard=False)
    web.get("/staff/new")
    response = web.post("/staff", {"user_id": "staffer01", "name": "担当 花子", "kana": "タントウ ハナコ",
                                   "phone": "03-1111-2222", "email": "staffer01@example.com"})
    assert response.headers["location"] == "/accounts/staffer01?notice=created"
    assert User.find("staffer01").role == AGENCY_STAFF
    web.get("/settings")
    saved = web.post("/settings", {"agency_name": "株式会社ウェブ工房", "phone": "03-9999-0000",
                                   "mail_sender_name": "ウェブ工房 サポート", "display_name": "管理 太郎", "client_reopen_days": "14",
                                   "version": re.search(r'name="version" value="(\d*)"', web.text(web.last)).group(1)})
    assert saved.headers["location"] == "/settings?notice=saved"
    dashboard = web.text(web.get("/"))
    assert "株式会社ウェブ工房" in dashboard and "03-9999-0000" in dashboard


def test_the_agency_chooses_the_colour_of_its_html_mail_and_a_light_one_is_refused(client, agency_admin):
    web = signed_in(client, agency_admin, dashboard=False)
    page = web.text(web.get("/settings"))
    assert '<input id="colour" name="colour" type="color"' in page and f'value="{DEFAULT_COLOUR}"' in page

    def save(colour: str):
        typed = {"agency_name": "株式会社ウェブ工房", "phone": "03-9999-0000", "mail_sender_name": "ウェブ工房 サポート",
                 "display_name": "管理 太郎", "client_reopen_days": "14", "colour": colour,
                 "version": re.search(r'name="version" value="(\d*)"', web.text(web.last)).group(1)}
        return web.post("/settings", typed)

    refused = save("#ffff00")
    assert refused.status_code == 400
    page = web.text(refused)
    assert '<p class="field__error" id="colour-error">' in page and t("settings.colour_light") in page
    assert 'value="ウェブ工房 サポート"' in page  # what was typed stays
    assert AgencySettings.load().colour == DEFAULT_COLOUR
    try:
        assert save("#0F5132").headers["location"] == "/settings?notice=saved"
        assert AgencySettings.load().colour == "#0f5132"
        web.get("/staff/new")
        user_id = unique_id("colr")
        web.post("/staff", {"user_id": user_id, "name": "担当 花子", "kana": "タントウ ハナコ",
                            "phone": "03-1111-2222", "email": f"{user_id}@example.com"})
        html = mail_to(f"{user_id}@example.com", subject="ログイン")["html"]
        assert "background: #0f5132;" in html and DEFAULT_COLOUR not in html
    finally:
        settings = AgencySettings.load()
        settings.colour = DEFAULT_COLOUR
        settings.save()


def test_account_lists_go_a_page_at_a_time_by_user_id(client, make_user):
    """担当者アカウント and a client's アカウント管理 read one page of accounts per view: every account
    once across the pages, in user-ID order; a tampered cursor (or another company's) starts over."""
    company = make_company(f"株式会社大所帯{uuid.uuid4().hex[:6]}")
    head = make_client(company, role=CLIENT_ADMIN)
    others = [make_client(company) for _ in range(4)]
    expected = sorted(u.user_id.lower() for u in [head, *others])
    seen, cursor, pages = [], None, 0
    while True:
        users, cursor = accounts.list_accounts(head, company_id=company.company_id, after=cursor, limit=2)
        seen += [u.user_id.lower() for u in users]
        pages += 1
        if cursor is None:
            break
    assert seen == expected and pages == 3
    other_company = make_company("株式会社よそ")
    make_client(other_company, role=CLIENT_ADMIN)
    _, foreign = accounts.list_accounts(make_user(), company_id=other_company.company_id, limit=1)
    for tampered in (foreign, "bm90LWEtY3Vyc29y", "x" * 2000):
        users, _ = accounts.list_accounts(head, company_id=company.company_id, after=tampered, limit=2)
        assert [u.user_id.lower() for u in users] == expected[:2]

    # The page offers 次のページ only when there is one.
    web = signed_in(client, head)
    first = web.text(web.get("/accounts"))
    assert "次のページ" not in first and all(f">{u.user_id}<" in first for u in others)
    for _ in range(accounts.ACCOUNTS_PAGE_SIZE - len(others)):
        make_client(company)
    first = web.text(web.get("/accounts"))
    link = re.search(r'href="(/accounts\?after=[^"]+)">次のページ</a>', first)
    assert link is not None and first.count('<a href="/accounts/') == accounts.ACCOUNTS_PAGE_SIZE
    second = web.text(web.get(link.group(1).replace("&amp;", "&")))
    assert second.count('<a href="/accounts/') == 1 and "次のページ" not in second
    # The agency's クライアント詳細 lists them the same way.
    agency = signed_in(client, make_user(), dashboard=False)
    path = f"/clients/{company.company_id}"
    first = agency.text(agency.get(path))
    link = re.search(rf'href="({re.escape(path)}\?after=[^"]+)">次のページ</a>', first)
    assert link is not None and first.count('<a href="/accounts/') == accounts.ACCOUNTS_PAGE_SIZE
    second = agency.text(agency.get(link.group(1)))
    assert second.count('<a href="/accounts/') == 1 and "保守契約とポイント" in second


def test_the_staff_list_has_a_next_page_when_the_agency_has_more_accounts_than_a_page(client, agency_admin, make_user):
    for _ in range(accounts.ACCOUNTS_PAGE_SIZE + 1 - len(User.members(None, limit=accounts.ACCOUNTS_PAGE_SIZE + 1))):
        make_user(role=AGENCY_STAFF)
    web = signed_in(client, agency_admin, dashboard=False)
    first = web.text(web.get("/staff"))
    link = re.search(r'href="(/staff\?after=[^"]+)">次のページ</a>', first)
    assert link is not None and first.count('<a href="/accounts/') == accounts.ACCOUNTS_PAGE_SIZE
    assert web.get(link.group(1)).status_code == 200
