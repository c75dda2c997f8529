"""Every route of the app, for every role, on its own company's things and on another's.

Threat: a client reading or changing another company's accounts, or even learning that they
exist; a member doing an admin's work; staff managing what only the agency admin may.
The table below must name every route the app has: a new route without a row fails the test.
"""
from __future__ import annotations

import pytest

from chalicelib.models.invoices import BillingSettings
from chalicelib.models.users import AGENCY_STAFF
from chalicelib.services import chat, estimates, invoices, ledger, listings, menu, reports, requests
from chalicelib.services import pointrules as r
from tests.support.accounts import anonymous, signed_in
from tests.support.agent import Agent
from tests.support.factories import PNG, give_password, make_company, make_user, register, upload
from tests.support.walk import all_routes

ROLES = ("anonymous", "agency_admin", "agency_staff", "client_admin", "client_member")
OK, DENIED, HIDDEN, LOGIN = "ok", 403, 404, "login"

# What each role may do: "all" = every role that is signed in; otherwise a set of roles.
# Client roles acting on another company's things always get 404 (checked separately below).
MANAGE_OWN = {"agency_admin", "client_admin"}
AGENCY = {"agency_admin", "agency_staff"}
ADMIN = {"agency_admin"}
CLIENTS = {"client_admin", "client_member"}

# (method, route) -> (roles allowed, scope): scope "company" means the route acts on a client
# company's thing (own/other matters), "agency" on the agency's own things, "own" on the
# caller's own company (the agency has none: 404), None on nothing in particular.
ROUTES = {
    ("GET", "/"): ("all", None),
    ("GET", "/password"): ("all", None),
    ("POST", "/password"): ("all", None),
    ("POST", "/logout"): ("all", None),
    ("GET", "/accounts"): ({"agency_admin", "agency_staff", "client_admin"}, None),  # agency: to /clients
    ("GET", "/accounts/new"): ({"client_admin"}, "own"),
    ("POST", "/accounts"): ({"client_admin"}, "own"),
    ("GET", "/accounts/{user_id}"): ({"agency_admin", "agency_staff", "client_admin"}, "company"),
    ("GET", "/accounts/{user_id}/edit"): (MANAGE_OWN, "company"),
    ("POST", "/accounts/{user_id}/edit"): (MANAGE_OWN, "company"),
    ("POST", "/accounts/{user_id}/deactivate"): (MANAGE_OWN, "company"),
    ("POST", "/accounts/{user_id}/reactivate"): (MANAGE_OWN, "company"),
    ("POST", "/accounts/{user_id}/role"): (MANAGE_OWN, "company"),
    ("POST", "/accounts/{user_id}/resend-guidance"): (MANAGE_OWN, "company"),
    ("POST", "/accounts/{user_id}/unlock"): (ADMIN, "company"),
    ("POST", "/accounts/{user_id}/mail-resume"): (ADMIN, "company"),
    ("GET", "/account/mail"): ("all", None),
    ("POST", "/account/mail"): ("all", None),
    ("GET", "/account/security"): ("all", None),
    ("GET", "/account/security/totp"): ("all", None),
    ("POST", "/account/security/totp"): ("all", None),
    ("POST", "/account/security/totp/delete"): ("all", None),
    ("POST", "/account/security/recovery-codes"): ("all", None),
    ("POST", "/accounts/{user_id}/second-factor-reset"): (MANAGE_OWN, "company"),
    # パスキー: js/passkeys.js's calls (forms that answer JSON).
    ("POST", "/account/security/passkeys/options"): ("all", None),
    ("POST", "/account/security/passkeys"): ("all", None),
    ("POST", "/account/security/passkeys/{credential_id}/delete"): ("all", None),
    ("GET", "/clients"): (AGENCY, "agency"),
    ("GET", "/clients/new"): (ADMIN, "agency"),
    ("POST", "/clients"): (ADMIN, "agency"),
    ("GET", "/clients/{company_id}"): (AGENCY, "company"),
    ("GET", "/clients/{company_id}/accounts/new"): (ADMIN, "company"),
    ("POST", "/clients/{company_id}/accounts"): (ADMIN, "company"),
    ("GET", "/staff"): (AGENCY, "agency"),
    ("GET", "/staff/new"): (ADMIN, "agency"),
    ("POST", "/staff"): (ADMIN, "agency"),
    ("GET", "/settings"): (ADMIN, "agency"),
    ("POST", "/settings"): (ADMIN, "agency"),
    ("GET", "/settings/urgency"): (ADMIN, "agency"),
    ("POST", "/settings/urgency"): (ADMIN, "agency"),
    ("GET", "/settings/chat"): (MANAGE_OWN, None),
    ("POST", "/settings/chat"): (MANAGE_OWN, None),
    ("GET", "/settings/chat/{destination_id}"): (MANAGE_OWN, "company"),
    ("POST", "/settings/chat/{destination_id}"): (MANAGE_OWN, "company"),
    ("POST", "/settings/chat/{destination_id}/test"): (MANAGE_OWN, "company"),
    ("POST", "/settings/chat/{destination_id}/delete"): (MANAGE_OWN, "company"),  # asks first: nothing deleted
    ("GET", "/settings/billing"): (ADMIN, "agency"),
    ("POST", "/settings/billing"): (ADMIN, "agency"),
    ("GET", "/invoices"): ({"agency_admin", "client_admin"}, None),  # clients: their own issued invoices
    ("GET", "/invoices.csv"): (ADMIN, "agency"),
    ("GET", "/clients/{company_id}/invoices"): (ADMIN, "company"),
    ("POST", "/clients/{company_id}/invoices"): (ADMIN, "company"),
    ("GET", "/invoices/{invoice_id}"): ({"agency_admin", "client_admin"}, "company"),
    ("GET", "/invoices/{invoice_id}/pdf"): ({"agency_admin", "client_admin"}, "company"),
    ("POST", "/invoices/{invoice_id}"): (ADMIN, "company"),
    ("POST", "/invoices/{invoice_id}/issue"): (ADMIN, "company"),
    ("POST", "/invoices/{invoice_id}/cancel"): (ADMIN, "company"),
    ("POST", "/invoices/{invoice_id}/delete"): (ADMIN, "company"),
    ("GET", "/requests"): ("all", None),  # the agency is sent to its inbox
    ("GET", "/requests/new"): (CLIENTS, None),
    ("POST", "/requests"): (CLIENTS, None),
    ("GET", "/requests/{request_id}"): ("all", "company"),
    ("GET", "/requests/{request_id}/comment"): ("all", "company"),
    ("POST", "/requests/{request_id}/comments"): ("all", "company"),
    ("POST", "/requests/{request_id}"): (AGENCY, "company"),
    ("POST", "/requests/{request_id}/participants"): (CLIENTS, "company"),
    ("POST", "/requests/{request_id}/withdraw"): (CLIENTS, "company"),
    ("POST", "/requests/{request_id}/confirm"): (CLIENTS, "company"),
    ("POST", "/requests/{request_id}/reopen"): ("all", "company"),
    ("POST", "/requests/{request_id}/mail/{event_id}/{recipient_id}/resend"): (AGENCY, "company"),
    ("GET", "/requests/{request_id}/files/{attachment_id}"): ("all", "company"),
    ("GET", "/requests/{request_id}/files/{attachment_id}/preview"): ("all", "company"),
    ("GET", "/points/menu"): ("all", None),
    ("POST", "/points/menu"): (ADMIN, "agency"),
    ("POST", "/points/menu/{item_id}"): (ADMIN, "agency"),
    ("GET", "/points"): ("all", None),  # clients: their balance; the agency: every company's usage
    ("GET", "/points/statement"): (CLIENTS, "own"),
    ("GET", "/points/statement.csv"): (CLIENTS, "own"),
    ("GET", "/clients/{company_id}/statement"): (AGENCY, "company"),
    ("GET", "/clients/{company_id}/statement.csv"): (AGENCY, "company"),
    ("POST", "/clients/{company_id}/contract"): (ADMIN, "company"),
    ("POST", "/clients/{company_id}/topup"): (ADMIN, "company"),
    ("POST", "/clients/{company_id}/adjust"): (ADMIN, "company"),
    ("POST", "/clients/{company_id}/two-factor"): (ADMIN, "company"),  # empty form: not required (as it was)
    ("GET", "/audit"): (MANAGE_OWN, None),  # a client admin: its own company's log
    ("GET", "/audit.csv"): (MANAGE_OWN, None),
    ("POST", "/requests/{request_id}/estimate"): (AGENCY, "company"),
    ("POST", "/requests/{request_id}/estimate/approve"): (CLIENTS, "company"),
    ("POST", "/requests/{request_id}/estimate/return"): (CLIENTS, "company"),
    ("GET", "/clients/{company_id}/report"): (AGENCY, "company"),
    ("POST", "/clients/{company_id}/report/comment"): (AGENCY, "company"),
    ("POST", "/clients/{company_id}/report/send"): (AGENCY, "company"),
    ("GET", "/clients/{company_id}/report.pdf"): (AGENCY, "company"),  # not sent yet: to the report page
    ("GET", "/reports"): ("all", None),  # the agency is sent to クライアント管理
    ("GET", "/reports/{month}"): (CLIENTS, "own"),
    ("GET", "/reports/{month}/pdf"): (CLIENTS, "own"),
    ("POST", "/api/uploads"): (CLIENTS, None),
    ("GET", "/api/session"): ("all", None),
    ("GET", "/api/urgency"): (CLIENTS, None),  # without ?due= the allowed get 400
    ("GET", "/api/requests"): ("all", None),
    ("POST", "/api/requests"): (CLIENTS, None),
    ("GET", "/api/requests/{request_id}"): ("all", "company"),
    ("PATCH", "/api/requests/{request_id}"): (AGENCY, "company"),
    ("POST", "/api/requests/{request_id}/comments"): ("all", "company"),
}
# Routes open to everyone, checked elsewhere (sign-in, reset, static files).
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/password/forgot"), ("POST", "/password/forgot"),
          ("GET", "/password/reset/{token}"), ("POST", "/password/reset/{token}"),
          ("GET", "/static/{folder}/{name}"), ("GET", "/api/openapi.json"),
          ("GET", "/health"),  # tests/integration/test_health.py
          ("GET", "/login/second"), ("POST", "/login/second"),  # tests/integration/test_two_factor.py
          ("POST", "/login/passkey/options"), ("POST", "/login/passkey")}  # tests/integration/test_passkeys.py


def test_the_table_names_every_route(app):
    routes = set(all_routes(app))  # HEAD runs its GET's view: tests/security/test_headers.py
    assert routes - set(ROUTES) - PUBLIC == set(), "add the new routes to ROUTES"
    assert set(ROUTES) | PUBLIC <= routes, "ROUTES names a route the app no longer has"


@pytest.fixture(scope="module")
def world(aws):
    """Two client companies with an admin and a member each, and the agency's people."""
    agency_admin = make_user(name="代理店 管理者", mail_unassigned=True)  # mailed about each new request
    company_a, company_b = make_company("A社"), make_company("B社")
    people = {"agency_admin": agency_admin, "agency_staff": make_user(role=AGENCY_STAFF, name="担当")}
    for label, company in (("a", company_a), ("b", company_b)):
        admin = register(agency_admin, company).user
        member = register(agency_admin, company).user
        for user in (admin, member):
            give_password(user)
        people[f"client_admin_{label}"], people[f"client_member_{label}"] = admin, member
        # What the routes act on: nobody signs in as it, so deactivating it spoils no later case.
        people[f"target_{label}"] = register(agency_admin, company).user
        image = upload(member, "画面.png", PNG, "image/png")
        people[f"request_{label}"] = requests.create_request(
            member, requests.RequestForm(title=f"{company.name}の件名", body="内容", upload_ids=[image]))
        people[f"file_{label}"] = listings.view_request(member, people[f"request_{label}"].request_id).files[0]
        # An estimate to answer (a stale version is refused after the permission check).
        estimates.save_estimate(people["agency_staff"], people[f"request_{label}"].request_id,
                             [estimates.LineInput(name="見積の項目", points="1")], version=0)
        # A chat destination of the company, on a port nobody listens on (テスト送信 fails at once).
        people[f"chat_{label}"] = chat.create(admin, chat.DestinationForm(
            name=f"{company.name}の通知", service="slack", url="https://127.0.0.1:9/hook", events=("created",)))
    people["client_admin"], people["client_member"] = people["client_admin_a"], people["client_member_a"]
    # A 月次保守レポート sent to company A, for the client's report routes ({month}).
    people["report_month"] = reports.last_month()
    reports.send(agency_admin, company_a.company_id, people["report_month"], revision=0)
    people["menu_item"] = menu.add_menu_item(agency_admin, menu.MenuForm(new_category="分類", name="作業", points="1"))
    # An issued 請求書 of each company (the routes on it change nothing: no revision, no reason).
    invoices.save_billing(agency_admin, invoices.BillingForm(
        issuer_name="代理店", registration_number="T1234567890123", address="東京都", phone="03-1111-2222",
        bank_account="銀行"), version=BillingSettings.load().version)
    for label, company in (("a", company_a), ("b", company_b)):
        draft = invoices.create_draft(agency_admin, company.company_id, r.month_of(ledger.today_jst()))
        draft = invoices.save_draft(agency_admin, draft.invoice_id, invoices.DraftForm(
            lines=[invoices.LineForm(description="保守", quantity="1", unit_price="1000")], due_on="2030-01-31"),
            revision=int(draft.revision))
        people[f"invoice_{label}"] = invoices.issue(agency_admin, draft.invoice_id,
                                                    revision=int(draft.revision)).invoice
    return {"people": people, "company_a": company_a, "company_b": company_b}


def _api_call(agent: Agent, method: str, path: str):
    """An API call with the session's CSRF token; its body reaches the permission check and is
    refused after it (empty comment, empty title, a stale revision with a manager-only field)."""
    import json
    headers = agent._headers({"Content-Type": "application/json"})
    session = agent.client.http.get("/api/session", headers=agent._headers())
    if session.status_code == 200:
        headers["X-CSRF-Token"] = json.loads(session.body)["csrf_token"]
    body = {"PATCH": {"revision": -1, "memo": "x"}, "POST": {"body": ""}}.get(method)
    if path == "/api/requests" and method == "POST":
        body = {"title": "", "body": ""}
    if path == "/api/uploads":
        body = {"name": "x.txt", "size": 0, "content_type": "text/plain"}  # refused after the check
    call = getattr(agent.client.http, method.lower())
    return call(path, headers=headers, body=json.dumps(body) if body is not None else None)


def _form_for(path: str) -> dict:
    if path.startswith("/requests/"):
        # Valid enough to reach the permission check, never a change that spoils later cases.
        return {"revision": "-1", "body": "", "assignee_id": "", "memo": "", "participant_ids": ""}
    if path == "/requests":
        return {"title": "", "body": ""}
    if path.endswith("/edit"):
        return {"name": "変更 太郎", "kana": "ヘンコウ タロウ", "phone": "03-1111-1111",
                "email": "changed@example.com", "version": "0"}
    if path in ("/accounts", "/staff") or path.endswith("/accounts"):
        return {"user_id": "", "name": ""}  # invalid on purpose: nothing is created, the check still runs
    if path == "/clients":
        return {"name": ""}
    if path == "/settings":
        return {"agency_name": "", "mail_sender_name": ""}
    if path == "/settings/urgency":
        return {"rule_days_0": "", "rule_multiplier_0": "2"}  # refused at the field: nothing changes
    if path == "/password":
        return {"current_password": "", "new_password": "", "new_password_confirm": ""}
    return {}


def _expected(role: str, allowed, scope: str | None, other: bool, api: bool = False):
    if role == "anonymous":
        return LOGIN if not api else 401
    is_client = role.startswith("client")
    if is_client and (scope == "agency" or (scope == "company" and other)):
        return HIDDEN
    if not is_client and scope == "own":
        return HIDDEN
    if allowed == "all" or role in allowed:
        return OK
    return DENIED


CASES = [(role, method, route, other) for (method, route) in ROUTES for role in ROLES for other in (False, True)
         if ROUTES[(method, route)][1] == "company" or not other]


@pytest.mark.parametrize("role,method,route,other", CASES)
def test_route_answers_each_role_as_the_table_says(client, world, role, method, route, other):
    people = world["people"]
    company = world["company_b"] if other else world["company_a"]
    target = people["target_b"] if other else people["target_a"]
    request = people["request_b"] if other else people["request_a"]
    file = people["file_b"] if other else people["file_a"]
    path = (route.replace("{user_id}", target.user_id).replace("{company_id}", company.company_id)
            .replace("{request_id}", request.request_id).replace("{attachment_id}", file.attachment_id)
            .replace("{item_id}", people["menu_item"].item_id).replace("{month}", people["report_month"])
            .replace("{invoice_id}", people["invoice_b" if other else "invoice_a"].invoice_id)
            .replace("{destination_id}", people["chat_b" if other else "chat_a"].destination_id)
            # the mail the agency admin got about the new request (already sent: re-sending is refused)
            .replace("{event_id}", request.request_id).replace("{credential_id}", "AAAA").replace("{recipient_id}", people["agency_admin"].user_id))
    agent = anonymous(client) if role == "anonymous" else signed_in(client, people[role])
    api = path.startswith("/api/")
    if api:
        response = _api_call(agent, method, path)
    else:
        response = agent.get(path) if method == "GET" else agent.post(path, _form_for(path))
    expected = _expected(role, *ROUTES[(method, route)], other, api=api)
    body = agent.text(response)
    if expected == 401:
        # Without a session there is no CSRF token either: changes are refused by that check first.
        assert response.status_code == (401 if method == "GET" else 403)
    elif expected == LOGIN:
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    elif expected == OK:
        assert response.status_code in (200, 303, 400, 409), (response.status_code, body[:300])
        assert "ページが見つかりません" not in body and "この操作は許可されていません" not in body
    else:
        assert response.status_code == expected, (response.status_code, body[:300])
    if expected == HIDDEN:
        # Nothing of the other company shows, not even its name.
        assert world["company_b"].name not in body and people["target_b"].user_id not in body
        assert people["request_b"].title not in body
