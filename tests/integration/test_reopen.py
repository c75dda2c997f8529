"""再開: a 完了 or 取り下げ request comes back (issue 16, item 4).

The agency reopens either (完了 -> 対応中, 取り下げ -> 新規); a client reopens its own 完了 request,
as its requester or its company's admin, within the period the agency set (default 14 days from
completion). Each reopening is an event in the thread and a mail to the other side. Every route
that can move the status (the 再開 button, the panel, the API) asks the same policy.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from chalicelib.clock import JST, utcnow
from chalicelib.errors import Forbidden, Invalid
from chalicelib.models.agency import AgencySettings
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import policy, requests, workflow
from localdev import mailbox
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.usefixtures("no_faults")


@pytest.fixture
def company(aws):
    return make_company(f"株式会社サクラ{uuid.uuid4().hex[:6]}")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="桜井 花子")


@pytest.fixture
def member(company):
    return make_client(company, name="青山 一郎")


@pytest.fixture
def staff(aws):
    return make_user(role=AGENCY_STAFF, name="担当 太郎")


def revision_on(page: str) -> str:
    return re.search(r'name="revision" value="(\d+)"', page).group(1)


def completed(asker, staff) -> Request:
    request = make_request(asker, title=f"会社概要の修正 {uuid.uuid4().hex[:6]}")
    return requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE),
                                   revision=0)


def completed_days_ago(request: Request, days: float) -> None:
    """Move the stored completion into the past (the app reads the real clock)."""
    stored = Request.find(request.request_id)
    stored.update(actions=[Request.completed_at.set(utcnow() - timedelta(days=days))])


def mails_about(request) -> list[dict]:
    return [m for m in reversed(mailbox.messages()) if f"#{request.number} {request.title}" in m["subject"]]


def test_the_agency_reopens_a_completed_request_to_in_progress_with_an_event_and_a_mail(client, client_admin, staff):
    request = completed(client_admin, staff)
    before = len(mails_about(request))
    web = signed_in(client, staff)
    page = web.text(web.get(f"/requests/{request.request_id}"))
    assert "再開する" in page
    response = web.post(f"/requests/{request.request_id}/reopen", {"revision": revision_on(page)})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=reopened")
    assert Request.find(request.request_id).status == workflow.IN_PROGRESS
    seen = signed_in(client, client_admin)
    thread = seen.text(seen.get(f"/requests/{request.request_id}"))
    assert "担当 太郎が依頼を再開しました(「完了」から「対応中」へ)" in thread
    mails = mails_about(request)[before:]
    assert [m["to"] for m in mails] == [[client_admin.email]]
    assert "「完了」から「対応中」" in mails[0]["text"]


def test_the_agency_reopens_a_withdrawn_request_to_new(client_admin, staff):
    request = make_request(client_admin)
    requests.withdraw_request(client_admin, request.request_id, revision=0)
    reopened = requests.reopen_request(staff, request.request_id, revision=1)
    assert reopened.status == workflow.NEW
    # The client withdrew it on purpose: only the agency brings a 取り下げ request back.
    requests.withdraw_request(client_admin, request.request_id, revision=2)
    with pytest.raises(Invalid) as refused:
        requests.reopen_request(client_admin, request.request_id, revision=3)
    assert refused.value.errors["status"] == "この状態には変更できません。"


def test_an_open_request_cannot_be_reopened(client_admin, staff):
    request = make_request(client_admin)
    with pytest.raises(Invalid) as refused:
        requests.reopen_request(staff, request.request_id, revision=0)
    assert "status" in refused.value.errors


def test_the_requester_and_the_company_admin_reopen_within_the_period_a_member_may_not(client, company, client_admin,
                                                                                       member, staff):
    mine = completed(member, staff)
    other = make_client(company, name="白石 三郎")
    assert not policy.may(other, policy.REOPEN, mine)
    with pytest.raises(Forbidden):
        requests.reopen_request(other, mine.request_id, revision=1)
    web = signed_in(client, member)
    page = web.text(web.get(f"/requests/{mine.request_id}"))
    deadline = (mine.completed_at + timedelta(days=14)).astimezone(JST).strftime("%Y/%m/%d %H:%M")
    assert f"{deadline}まで再開できます" in page
    assert web.post(f"/requests/{mine.request_id}/reopen", {"revision": revision_on(page)}).status_code == 303
    assert Request.find(mine.request_id).status == workflow.IN_PROGRESS
    # The company's admin reopens any of the company's completed requests.
    theirs = completed(member, staff)
    assert requests.reopen_request(client_admin, theirs.request_id, revision=theirs.client_revision).status \
        == workflow.IN_PROGRESS


def test_after_the_period_the_client_is_refused_at_the_field_by_every_route(client, client_admin, staff):
    request = completed(client_admin, staff)
    completed_days_ago(request, 14.01)
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{request.request_id}"))
    assert "再開する" not in page
    revision = Request.find(request.request_id).client_revision
    refused = web.post(f"/requests/{request.request_id}/reopen", {"revision": str(revision)})
    assert refused.status_code == 400
    assert '<p class="field__error" id="status-error">完了から14日が過ぎたため' in web.text(refused)
    # The general save route and the API answer the same: the policy sits in the service.
    with pytest.raises(Invalid):
        requests.update_request(client_admin, request.request_id,
                                requests.RequestChanges(status=workflow.IN_PROGRESS), revision=revision)
    api = web.api("PATCH", f"/api/requests/{request.request_id}", {"revision": revision, "status": workflow.IN_PROGRESS})
    assert api.status_code == 400
    assert Request.find(request.request_id).status == workflow.DONE
    # The agency still can.
    assert requests.reopen_request(staff, request.request_id, revision=int(Request.find(request.request_id).revision)
                                   ).status == workflow.IN_PROGRESS


def test_the_period_is_the_agency_setting_when_the_request_was_completed(client_admin, staff):
    settings = AgencySettings.load()
    before = int(settings.client_reopen_days)
    settings.client_reopen_days = 3
    settings.save()
    try:
        request = completed(client_admin, staff)
    finally:
        settings = AgencySettings.load()
        settings.client_reopen_days = before
        settings.save()
    assert int(Request.find(request.request_id).reopen_days) == 3
    completed_days_ago(request, 3.01)
    with pytest.raises(Invalid) as refused:
        requests.reopen_request(client_admin, request.request_id, revision=request.client_revision)
    assert "完了から3日が過ぎたため" in refused.value.errors["status"]


def test_a_request_completed_before_the_period_was_recorded_is_reopened_by_the_agency_only(client_admin, staff):
    request = completed(client_admin, staff)
    Request.find(request.request_id).update(actions=[Request.completed_at.remove(), Request.reopen_days.remove()])
    with pytest.raises(Invalid) as refused:
        requests.reopen_request(client_admin, request.request_id, revision=request.client_revision)
    assert refused.value.errors["status"].startswith("この依頼はお客様からは再開できません")
    assert requests.reopen_request(staff, request.request_id, revision=int(request.revision)).status \
        == workflow.IN_PROGRESS


@pytest.mark.parametrize("typed", ["", "abc", "-1", "1.5", "366", "１４日"])
def test_the_period_is_a_validated_agency_setting(client, typed):
    admin = make_user(name="管理 一郎")
    web = signed_in(client, admin, dashboard=False)
    page = web.text(web.get("/settings"))
    assert "お客様が再開できる期間(完了からの日数)" in page and 'value="14"' in page
    version = re.search(r'name="version" value="(\d*)"', page).group(1)
    settings = AgencySettings.load()
    refused = web.post("/settings", {"agency_name": settings.name, "phone": settings.phone,
                                     "mail_sender_name": settings.mail_sender_name, "display_name": admin.name, "client_reopen_days": typed,
                                     "version": version})
    assert refused.status_code == 400
    text = web.text(refused)
    assert '<p class="field__error" id="client_reopen_days-error">0から365までの半角数字で入力してください(日数)。</p>' in text
    assert f'value="{typed}"' in text
    assert int(AgencySettings.load().client_reopen_days) == 14


def test_the_agency_admin_sets_the_period(client):
    admin = make_user(name="管理 二郎")
    web = signed_in(client, admin, dashboard=False)
    page = web.text(web.get("/settings"))
    settings = AgencySettings.load()
    fields = {"agency_name": settings.name, "phone": settings.phone, "mail_sender_name": settings.mail_sender_name, "display_name": admin.name,
              "version": re.search(r'name="version" value="(\d*)"', page).group(1)}
    try:
        assert web.post("/settings", {**fields, "client_reopen_days": "３0"}).status_code == 303
        assert int(AgencySettings.load().client_reopen_days) == 30
    finally:
        restored = AgencySettings.load()
        restored.client_reopen_days = 14
        restored.save()
