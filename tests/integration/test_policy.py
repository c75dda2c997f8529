"""What a page hides, the API and the form posts refuse too (services/policy.py), against the emulator.

Each case: the page does not offer the action in this state, and sending it anyway (the JSON API
or the form's POST) is refused with the reason, and nothing is stored.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import pointrules as r
from chalicelib.services import contracts, estimates, ledger, listings, requests, workflow
from tests.support.accounts import signed_in
from tests.support.agent import Agent
from tests.support.factories import make_client, make_company, make_request, make_user


@pytest.fixture
def company(aws):
    return make_company("株式会社ポリシー")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="方針 花子")


@pytest.fixture
def member(company):
    return make_client(company, name="方針 一郎")


@pytest.fixture
def staff(aws):
    return make_user(role=AGENCY_STAFF, name="担当 方針")


def api(web: Agent, method: str, path: str, body: dict):
    response = web.api(method, path, body)
    return response.status_code, json.loads(response.body)


def test_a_withdrawn_request_takes_no_comment_from_the_page_or_the_api(client, client_admin, staff):
    created = make_request(client_admin)
    withdrawn = requests.withdraw_request(client_admin, created.request_id, revision=0)
    for person in (client_admin, staff):
        web = signed_in(client, person)
        page = web.text(web.get(f"/requests/{created.request_id}"))
        assert "data-comment-open" not in page and "data-comment-form" not in page
        status, body = api(web, "POST", f"/api/requests/{created.request_id}/comments", {"body": "まだ必要でした"})
        assert status == 400 and body["errors"] == {"_form": "取り下げられた依頼にはコメントできません。"}
        web.get(f"/requests/{created.request_id}/comment")
        posted = web.post(f"/requests/{created.request_id}/comments", {"body": "まだ必要でした"})
        assert posted.status_code == 400 and "取り下げられた依頼にはコメントできません。" in web.text(posted)
    view = listings.view_request(staff, created.request_id)
    assert not any(entry.body == "まだ必要でした" for entry in view.entries)
    assert Request.find(created.request_id).revision == withdrawn.revision


@pytest.mark.parametrize("closing", [workflow.DONE, workflow.WITHDRAWN])
def test_a_closed_requests_participants_are_not_changed_from_the_page_or_the_api(client, client_admin, member,
                                                                                 staff, closing):
    created = make_request(client_admin)
    if closing == workflow.DONE:
        closed = requests.update_request(staff, created.request_id, requests.RequestChanges(status=workflow.DONE),
                                         revision=0)
    else:
        closed = requests.withdraw_request(client_admin, created.request_id, revision=0)
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    assert f"/requests/{created.request_id}/participants" not in page
    status, body = api(web, "PATCH", f"/api/requests/{created.request_id}",
                       {"revision": int(closed.revision), "participant_ids": [member.user_id]})
    assert status == 400 and body["errors"] == {"participant_ids": "完了または取り下げの依頼の依頼関係者は変更できません。"}
    posted = web.post(f"/requests/{created.request_id}/participants",
                      {"participant_ids": member.user_id, "revision": str(closed.revision)})
    assert posted.status_code == 400 and "完了または取り下げの依頼の依頼関係者は変更できません。" in web.text(posted)
    assert Request.find(created.request_id).participant_ids == []


def test_a_charged_estimate_is_not_answered_from_the_page(client, company, client_admin, staff):
    admin = make_user(name="管理 方針")
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    created = make_request(client_admin)
    estimates.save_estimate(staff, created.request_id, [estimates.LineInput(name="作業", points="2")], version=0)
    # Without 見積承認が必要 the work is done and charged on the pending estimate.
    requests.update_request(staff, created.request_id, requests.RequestChanges(status=workflow.DONE), revision=0)
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    assert "この見積のポイントは完了時に消費されました。" in page
    assert "/estimate/approve" not in page and "/estimate/return" not in page
    for action, fields in (("approve", {}), ("return", {"reason": "やはり不要でした"})):
        posted = web.post(f"/requests/{created.request_id}/estimate/{action}", {"estimate_version": "1", **fields})
        assert posted.status_code == 400 and "ポイントを消費済みの見積にはお返事できません。" in web.text(posted)
    assert estimates.estimate_of(created.request_id).state == "pending"
