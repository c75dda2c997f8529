"""Walking the whole app: its routes from the route table, and a company with real ids to fill them.

Used by the security suite and the accessibility walk, so both follow the routes the app has.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import urlencode

from chalicelib.models.users import AGENCY_STAFF
from chalicelib.services import contracts, estimates, ledger, listings, menu, pointrules, requests
from tests.support.factories import PNG, give_password, make_company, make_user, register, upload
from tests.support.pages import forms

SIGNED_IN_ROLES = ("agency_admin", "agency_staff", "client_admin", "client_member")
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


def all_routes(app) -> list[tuple[str, str]]:
    """(method, route) for every route the app has, in a stable order.

    HEAD is left out: every GET route has one running the same view (middleware.allow_head),
    and tests/security/test_headers.py checks each answers as its GET does."""
    return sorted((method, path) for path, entries in app.routes.items() for method in entries if method != "HEAD")


def fill(route: str, ids: dict[str, str]) -> str:
    """The route with its placeholders replaced by real ids (an unknown placeholder gets a dummy)."""
    return _PLACEHOLDER.sub(lambda match: ids.get(match.group(1), "unknown-id"), route)


def issued_invoice(agency_admin, company):
    """An issued 請求書 of ``company`` (and the billing settings it needs): its page and PDF are
    every role's to open or be refused, and no form on it changes anything without a reason or
    a confirmation."""
    from chalicelib.models.invoices import BillingSettings
    from chalicelib.services import invoices

    invoices.save_billing(agency_admin, invoices.BillingForm(
        issuer_name="株式会社代理店", registration_number="T1234567890123", address="東京都千代田区",
        phone="03-1111-2222", bank_account="銀行 支店 普通 1234567"), version=BillingSettings.load().version)
    draft = invoices.create_draft(agency_admin, company.company_id, pointrules.month_of(ledger.today_jst()))
    draft = invoices.save_draft(agency_admin, draft.invoice_id, invoices.DraftForm(
        lines=[invoices.LineForm(description="月額保守料金", quantity="1", unit="式", unit_price="50000")],
        due_on="2030-01-31"), revision=int(draft.revision))
    return invoices.issue(agency_admin, draft.invoice_id, revision=int(draft.revision)).invoice


def build_world() -> dict:
    """One client company with an admin, a member, a request with a file; the agency's people."""
    agency_admin = make_user(name="代理店 管理者")
    company = make_company("セキュリティ社")
    people = {"agency_admin": agency_admin, "agency_staff": make_user(role=AGENCY_STAFF, name="担当")}
    admin, member = register(agency_admin, company).user, register(agency_admin, company).user
    for user in (admin, member):
        give_password(user)
    people["client_admin"], people["client_member"] = admin, member
    target = register(agency_admin, company).user
    request = requests.create_request(
        member, requests.RequestForm(title="セキュリティの件名", body="内容", upload_ids=[upload(member, "画面.png", PNG, "image/png")]))
    file = listings.view_request(member, request.request_id).files[0]
    # A menu item, a contract and an estimate, so the points pages show every form they can have.
    item = menu.add_menu_item(agency_admin, menu.MenuForm(new_category="テキスト", name="文言の変更", points="1"))
    contracts.save_contract(agency_admin, company.company_id, contracts.ContractForm(
        points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    estimates.save_estimate(people["agency_staff"], request.request_id,
                         [estimates.LineInput(menu_item_id=item.item_id, quantity="1")], version=0)
    invoice = issued_invoice(agency_admin, company)
    # A 月次保守レポート sent for the month before last, so the client's report pages have one to
    # show; last month's stays a draft, so the agency's page shows its コメント and 送信 forms.
    from chalicelib.services import reports
    from chalicelib.services import pointrules as r
    sent_month = r.previous_month(reports.last_month())
    reports.send(agency_admin, company.company_id, sent_month, revision=0)
    # A chat destination of the company, so both admins' チャット通知 pages have one to show.
    from chalicelib.services import chat
    destination = chat.create(admin, chat.DestinationForm(name="セキュリティ社の通知", service="slack",
                                                          url="https://127.0.0.1:9/hook", events=("created",)))
    from chalicelib import templating
    css = templating.static_url("css/app.css").rsplit("/", 1)[1]  # the current hash: served immutable
    ids = {"user_id": target.user_id, "company_id": company.company_id, "request_id": request.request_id,
           "attachment_id": file.attachment_id, "event_id": request.request_id,
           "recipient_id": agency_admin.user_id, "item_id": item.item_id, "invoice_id": invoice.invoice_id,
           "destination_id": destination.destination_id,
           "token": "x" * 43, "folder": "css", "name": css, "month": sent_month}
    return {"people": people, "company": company, "request": request, "ids": ids}


def get_pages(app, agent, ids) -> dict[str, str]:
    """Every HTML page the agent can open, by path."""
    pages = {}
    for method, route in all_routes(app):
        if method != "GET" or route.startswith(("/api/", "/static/")) or "/files/" in route:
            continue
        path = fill(route, ids)
        response = agent.get(path)
        if response.status_code == 200 and response.headers.get("content-type", "").startswith("text/html"):
            pages[path] = agent.text(response)
    return pages


def submit(agent, page_path: str, form, values: dict[str, str]):
    """Send ``form`` of the page at ``page_path`` as a browser would, with ``values`` typed in."""
    agent.get(page_path)  # a fresh form: its token, its revision
    current = next(f for f in forms(agent.text(agent.last)) if f.action == form.action)
    data = [(name, values.get(name, value)) for name, value in current.data()]
    body = urlencode(data)
    headers = agent._headers({"Content-Type": "application/x-www-form-urlencoded"})
    response = agent.client.http.post(form.action or page_path, body=body, headers=headers)
    agent._remember(response)
    agent.last = response
    return response


@contextmanager
def agency_settings_kept():
    """A walk may save the agency's settings; every later test expects them as they were."""
    from chalicelib.models.agency import AgencySettings
    before = AgencySettings.load()
    try:
        yield
    finally:
        now = AgencySettings.load()
        now.name, now.phone, now.mail_sender_name = before.name, before.phone, before.mail_sender_name
        now.client_reopen_days, now.colour = before.client_reopen_days, before.colour
        now.audit_retention_days, now.require_two_factor = before.audit_retention_days, before.require_two_factor
        now.save()
