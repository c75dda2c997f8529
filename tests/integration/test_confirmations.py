"""Costly or final actions ask first: 取り下げる, 承認 (spends points at 完了), 無効にする.

Threat (to the user's work, not from an attacker): one tap on a phone withdraws a request for
good, approves an estimate that spends points, or locks a colleague out. The server performs none
of them from a form sent without ``confirmed=1``: it answers with a confirmation page saying what
will happen, whose own form (the same CSRF token, the same kept fields) does it. With JavaScript
the page's <dialog> asks instead and sends ``confirmed=1`` itself (tests/browser/test_confirm_flow.py).
"""
from __future__ import annotations

import re

import pytest

from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN, User
from chalicelib.services import contracts, estimates, ledger, workflow
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user
from tests.support.pages import forms


@pytest.fixture
def company(aws):
    return make_company("株式会社かくにん")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="確認 花子")


@pytest.fixture
def staff(aws):
    return make_user(role=AGENCY_STAFF, name="担当 次郎")


def _the_page_form(agent, response, action: str):
    """The form of the confirmation page that posts to ``action``, as a browser would send it."""
    assert response.status_code == 200, agent.text(response)[:500]
    page = agent.text(response)
    found = [f for f in forms(page) if f.action == action and f.method == "post"]
    assert len(found) == 1, page
    return page, dict(found[0].data())


def _withdraw(client, client_admin, staff, company):
    created = make_request(client_admin)
    web = signed_in(client, client_admin)
    path = f"/requests/{created.request_id}"
    revision = re.search(r'name="revision" value="(\d+)"', web.text(web.get(path))).group(1)
    return web, f"{path}/withdraw", {"revision": revision}, \
        lambda: Request.find(created.request_id).status == workflow.WITHDRAWN, \
        ["この依頼を取り下げますか?", created.title, "はい、取り下げる", f'href="{path}"']


def _approve(client, client_admin, staff, company):
    admin = make_user(name="管理 一郎")
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    created = make_request(client_admin)
    estimates.save_estimate(staff, created.request_id, [estimates.LineInput(name="画像の差し替え", points="2.5")],
                            version=0)
    web = signed_in(client, client_admin)
    path = f"/requests/{created.request_id}"
    web.get(path)
    # What it spends and what that leaves: 10 pt now, 7.5 pt once the work is 完了.
    return web, f"{path}/estimate/approve", {"estimate_version": "1"}, \
        lambda: estimates.estimate_of(created.request_id).state == "approved", \
        ["この見積を承認しますか?", "2.5 pt", "10 pt → 7.5 pt", "はい、承認する"]


def _deactivate(client, client_admin, staff, company):
    member = make_client(company, name="無効 太郎")
    web = signed_in(client, client_admin)
    path = f"/accounts/{member.user_id}"
    web.get(path)
    return web, f"{path}/deactivate", {}, lambda: not User.find(member.user_id).active, \
        ["無効 太郎 さんのアカウントを無効にしますか?", member.user_id, "はい、無効にする", f'href="{path}"']


@pytest.mark.parametrize("setup", [_withdraw, _approve, _deactivate], ids=["withdraw", "approve", "deactivate"])
def test_a_costly_action_sent_without_confirmation_asks_and_does_nothing(client, client_admin, staff, company, setup):
    web, action, fields, done, shown = setup(client, client_admin, staff, company)
    asked = web.post(action, fields)
    page, confirm = _the_page_form(web, asked, action)
    for text in shown:
        assert text in page
    assert not done(), "the action was performed before it was confirmed"
    assert confirm.pop("confirmed") == "1"
    assert confirm.pop("csrf_token") == web.csrf_token()
    assert confirm == fields  # the kept fields, nothing else
    # 「はい、…」 sends the page's form as it is: now it is done.
    sent = web.post(action, {**confirm, "confirmed": "1"})
    assert sent.status_code == 303, web.text(sent)[:500]
    assert done()


def test_a_stale_estimate_is_refused_without_asking(client, client_admin, staff, company):
    """The page never asks about an estimate other than the one the form was drawn with."""
    web, action, fields, done, _ = _approve(client, client_admin, staff, company)
    stale = web.post(action, {"estimate_version": "0"})
    assert stale.status_code == 409  # the progress screen again, as before confirmations existed
    assert not [f for f in forms(web.text(stale)) if f.action == action and "confirmed" in dict(f.data())]
    assert not done()


def test_the_agency_cannot_reach_a_confirmation_of_the_clients_withdrawal(client, client_admin, staff, company):
    created = make_request(client_admin)
    agency = signed_in(client, staff)
    agency.get(f"/requests/{created.request_id}")
    refused = agency.post(f"/requests/{created.request_id}/withdraw", {"revision": "0"})
    assert refused.status_code == 403
    assert "はい、取り下げる" not in agency.text(refused)


def test_the_progress_screen_carries_each_question_in_a_dialog(client, client_admin, staff, company):
    """With JavaScript the same words are asked in a <dialog> next to the button's form."""
    web, action, fields, done, shown = _approve(client, client_admin, staff, company)
    page = web.text(web.get(action.rsplit("/estimate", 1)[0]))
    for key, question in (("withdraw", "この依頼を取り下げますか?"), ("approve", "この見積を承認しますか?")):
        assert f'data-confirm="confirm-{key}"' in page
        dialog = re.search(rf'<dialog id="confirm-{key}"(.*?)</dialog>', page, re.S)
        assert dialog and question in dialog.group(1), key
    assert "10 pt → 7.5 pt" in page
