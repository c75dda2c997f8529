"""Walking the whole app: its routes from the route table, and a company with real ids to fill them.

Used by the security suite and the accessibility walk, so both follow the routes the app has.
"""
from __future__ import annotations

import re

from chalicelib.models.users import AGENCY_STAFF
from chalicelib.services import contracts, estimates, ledger, listings, menu, requests
from tests.support.factories import PASSWORD, make_company, make_user, register

SIGNED_IN_ROLES = ("agency_admin", "agency_staff", "client_admin", "client_member")
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


def all_routes(app) -> list[tuple[str, str]]:
    """(method, route) for every route the app has, in a stable order."""
    return sorted((method, path) for path, entries in app.routes.items() for method in entries)


def fill(route: str, ids: dict[str, str]) -> str:
    """The route with its placeholders replaced by real ids (an unknown placeholder gets a dummy)."""
    return _PLACEHOLDER.sub(lambda match: ids.get(match.group(1), "unknown-id"), route)


def build_world() -> dict:
    """One client company with an admin, a member, a request with a file; the agency's people."""
    agency_admin = make_user(name="代理店 管理者")
    company = make_company("セキュリティ社")
    people = {"agency_admin": agency_admin, "agency_staff": make_user(role=AGENCY_STAFF, name="担当")}
    admin, member = register(agency_admin, company).user, register(agency_admin, company).user
    for user in (admin, member):
        _give_password(user)
    people["client_admin"], people["client_member"] = admin, member
    target = register(agency_admin, company).user
    request = requests.create_request(
        member, requests.RequestForm(title="セキュリティの件名", body="内容", upload_ids=[_uploaded_image(member)]))
    file = listings.view_request(member, request.request_id).files[0]
    # A menu item, a contract and an estimate, so the points pages show every form they can have.
    item = menu.add_menu_item(agency_admin, menu.MenuForm(category="テキスト", name="文言の変更", points="1"))
    contracts.save_contract(agency_admin, company.company_id, contracts.ContractForm(
        points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    estimates.save_estimate(people["agency_staff"], request.request_id,
                         [estimates.LineInput(menu_item_id=item.item_id, quantity="1")], version=0)
    from chalicelib import templating
    css = templating.static_url("css/app.css").rsplit("/", 1)[1]  # the current hash: served immutable
    ids = {"user_id": target.user_id, "company_id": company.company_id, "request_id": request.request_id,
           "attachment_id": file.attachment_id, "event_id": request.request_id,
           "recipient_id": agency_admin.user_id, "item_id": item.item_id, "token": "x" * 43, "folder": "css", "name": css}
    return {"people": people, "company": company, "request": request, "ids": ids}


def _uploaded_image(user) -> str:
    """An image uploaded the way the browser does it (presigned POST to the emulated S3)."""
    import base64

    import requests as http

    from chalicelib.services import attachments
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    slot = attachments.start_upload(user, name="画面.png", size=len(png), content_type="image/png")
    http.post(slot.url, data=slot.fields, files={"file": ("画面.png", png, "image/png")}, timeout=10)
    return slot.upload_id


def _give_password(user) -> None:
    from chalicelib.models.users import User
    from chalicelib.services import passwords
    user.update(actions=[User.password_hash.set(passwords.hash_password(PASSWORD, 4)),
                         User.must_change_password.set(False)])


