"""ポイント表, 残りポイント and ポイント履歴, 月次明細 (page and CSV), contracts and チャージ on the
company page, and the agency's overview of every company's usage."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.messages import t
from chalicelib.services import companies, contracts, estimates, ledger, permissions, statements
from chalicelib.services import menu as point_menu  # this module has a page called menu
from chalicelib.services import pointrules as r
from chalicelib.services.auth import SignedIn
from chalicelib.errors import Conflict, Invalid
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, form
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

MENU_NOTICES = {"added": "menu.added", "updated": "menu.updated"}
COMPANY_NOTICES = {"contract_saved": "contract.saved", "topped_up": "points.topped_up",
                   "adjusted": "points.adjusted", "created": "company.created"}
MENU_FIELDS = ("category", "name", "points", "description")


def _query(name: str) -> str:
    return (bp.current_request.query_params or {}).get(name, "")


def labels() -> dict:
    """What every points template needs to print points, kinds and states."""
    return dict(fmt=r.format_points, fmt_multiplier=r.format_multiplier, kind_labels=contracts.KIND_LABELS,
                describe=contracts.describe, Decimal=Decimal,
                entry_labels=ledger.ENTRY_LABELS, state_labels=estimates.STATE_LABELS, R=r)


# ポイント表.

def _menu_page(me: SignedIn, *, status: int = 200, errors: dict | None = None, menu_form=None, editing=None):
    can_edit = permissions.can(me.user, permissions.POINTS_MENU_EDIT)
    notice = MENU_NOTICES.get(_query("notice"))
    return page("points/menu.html", status=status, categories=point_menu.menu(me.user, include_stopped=can_edit),
                can_edit=can_edit, errors=errors or {}, menu_form=menu_form or point_menu.MenuForm(), editing=editing,
                notice=t(notice) if notice else None, **labels())


@bp.route("/points/menu", methods=["GET"])
@signed_in_page
def menu(me: SignedIn):
    editing = None
    if _query("edit") and permissions.can(me.user, permissions.POINTS_MENU_EDIT):
        editing = point_menu.find_menu_item(me.user, _query("edit"))
        menu_form = point_menu.MenuForm(category=editing.category, name=editing.name,
                                    points=str(r.from_tenths(editing.points_tenths)).removesuffix(".0"),
                                    description=editing.description)
        return _menu_page(me, menu_form=menu_form, editing=editing)
    return _menu_page(me)


def _posted_menu() -> point_menu.MenuForm:
    return point_menu.MenuForm(**{name: field(name) for name in MENU_FIELDS})


@bp.route("/points/menu", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def menu_add(me: SignedIn):
    menu_form = _posted_menu()
    try:
        point_menu.add_menu_item(me.user, menu_form)
    except Invalid as error:
        return _menu_page(me, status=400, errors=error.errors, menu_form=menu_form)
    return redirect("/points/menu?notice=added")


@bp.route("/points/menu/{item_id}", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def menu_update(me: SignedIn, item_id: str):
    editing = point_menu.find_menu_item(me.user, item_id)
    menu_form = _posted_menu()
    try:
        point_menu.update_menu_item(me.user, item_id, menu_form, active=field("active") == "1")
    except Invalid as error:
        return _menu_page(me, status=400, errors=error.errors, menu_form=menu_form, editing=editing)
    return redirect("/points/menu?notice=updated")


# The company page's 契約 panel (agency).

def company_page(me: SignedIn, company_id: str, *, status: int = 200, errors: dict | None = None,
                 typed: dict | None = None):
    """クライアント詳細: the accounts, and the contract, balance, ledger and the forms to change them."""
    view = companies.company_page(me.user, company_id)
    summary = statements.summary(me.user, company_id)
    notice = COMPANY_NOTICES.get(_query("notice"))
    current = summary.contract
    contract_form = typed.get("contract") if typed and "contract" in typed else (
        contracts.ContractForm(kind=current.contract_type, points=r.format_points(current.points_tenths).replace(",", ""),
                            carry_over=current.carry_over, unit_price=str(int(current.unit_price or 0) or ""),
                            approval_required=current.approval_required, starts_on=current.starts_on,
                            ends_on=current.ends_on or "") if current else contracts.ContractForm())
    return page("clients/detail.html", status=status, company=view.company, accounts=view.accounts,
                notice=t(notice) if notice else None,
                can_create=permissions.can(me.user, permissions.ACCOUNT_CREATE),
                can_edit_contract=permissions.can(me.user, permissions.CONTRACT_EDIT),
                summary=summary, ledger=ledger.ledger(me.user, company_id, limit=10),
                history=contracts.contract_history(me.user, company_id), contract_form=contract_form,
                typed=(typed or {}).get("fields", {}), errors=errors or {}, month=summary.month, **labels())


@bp.route("/clients/{company_id}/contract", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def contract_save(me: SignedIn, company_id: str):
    contract_form = contracts.ContractForm(
        kind=field("kind"), points=field("points"), carry_over=field("carry_over") == "1",
        unit_price=field("unit_price"), approval_required=field("approval_required") == "1",
        starts_on=field("starts_on"), ends_on=field("ends_on"), note=field("note", strip=False))
    try:
        contracts.save_contract(me.user, company_id, contract_form)
    except Invalid as error:
        return company_page(me, company_id, status=400, errors=error.errors, typed={"contract": contract_form})
    except Conflict:
        return company_page(me, company_id, status=409, errors={"_form": t("conflict.changed")}, typed={"contract": contract_form})
    return redirect(f"/clients/{company_id}?notice=contract_saved#contract-title")


@bp.route("/clients/{company_id}/topup", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def topup(me: SignedIn, company_id: str):
    try:
        ledger.top_up(me.user, company_id, points=field("topup_points"), note=field("topup_note", strip=False))
    except Invalid as error:
        return company_page(me, company_id, status=400, errors=error.errors, typed={"fields": dict(form())})
    except Conflict:
        return company_page(me, company_id, status=409, errors={"_form": t("conflict.changed")}, typed={"fields": dict(form())})
    return redirect(f"/clients/{company_id}?notice=topped_up#balance-title")


@bp.route("/clients/{company_id}/adjust", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def adjust(me: SignedIn, company_id: str):
    try:
        ledger.adjust(me.user, company_id, points=field("adjust_points"), note=field("adjust_note", strip=False))
    except Invalid as error:
        return company_page(me, company_id, status=400, errors=error.errors, typed={"fields": dict(form())})
    except Conflict:
        return company_page(me, company_id, status=409, errors={"_form": t("conflict.changed")}, typed={"fields": dict(form())})
    return redirect(f"/clients/{company_id}?notice=adjusted#balance-title")


# 残りポイント and ポイント履歴 (client), the usage of every company (agency).

@bp.route("/points", methods=["GET"])
@signed_in_page
def balance(me: SignedIn):
    if me.user.is_agency:
        rows = statements.usage_overview(me.user)
        return page("points/overview.html", rows=rows, month=rows[0].month if rows else r.month_of(ledger.today_jst()),
                    **labels())
    summary = statements.summary(me.user, me.user.company_id)
    return page("points/balance.html", summary=summary, ledger=ledger.ledger(me.user, me.user.company_id, limit=50),
                **labels())


# 月次明細.

def _month() -> str:
    return _query("month") or r.month_of(ledger.today_jst())


def _statement_page(me: SignedIn, company_id: str | None, base: str):
    month = _month()
    try:
        view = statements.statement(me.user, company_id, month)
    except Invalid as error:
        return page("points/statement.html", status=400, view=None, month=month, errors=error.errors, base=base,
                    **labels())
    return page("points/statement.html", view=view, month=month, errors={}, base=base,
                previous=r.previous_month(month), following=r.next_month(month), **labels())


def _csv(me: SignedIn, company_id: str | None):
    view = statements.statement(me.user, company_id, _month())  # a bad month: Invalid -> 400 page below
    name = statements.statement_filename(view)
    disposition = f"attachment; filename=\"statement-{view.month}.csv\"; filename*=UTF-8''{quote(name)}"
    # A text body: Chalice sends str as UTF-8 (bytes would need API Gateway binary types); the
    # BOM stays its first character.
    return Response(body=statements.statement_csv(view).decode("utf-8"), status_code=200,
                    headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": disposition})


def _csv_or_400(me: SignedIn, company_id: str | None, base: str):
    try:
        return _csv(me, company_id)
    except Invalid:
        return _statement_page(me, company_id, base)


@bp.route("/points/statement", methods=["GET"])
@signed_in_page
def statement(me: SignedIn):
    return _statement_page(me, me.user.company_id, "/points/statement")


@bp.route("/points/statement.csv", methods=["GET"])
@signed_in_page
def statement_csv(me: SignedIn):
    return _csv_or_400(me, me.user.company_id, "/points/statement")


@bp.route("/clients/{company_id}/statement", methods=["GET"])
@signed_in_page
def company_statement(me: SignedIn, company_id: str):
    # /clients/ is the agency's; a client reads its own statement at /points/statement.
    permissions.authorize(me.user, permissions.COMPANY_VIEW, company_id=company_id)
    return _statement_page(me, company_id, f"/clients/{company_id}/statement")


@bp.route("/clients/{company_id}/statement.csv", methods=["GET"])
@signed_in_page
def company_statement_csv(me: SignedIn, company_id: str):
    permissions.authorize(me.user, permissions.COMPANY_VIEW, company_id=company_id)
    return _csv_or_400(me, company_id, f"/clients/{company_id}/statement")


# The estimate on the request page.

def request_context(me: SignedIn, view, typed: dict) -> dict:
    """What the 見積 panel of the progress screen needs: for staff the menu and the multiplier;
    for the client its balance (残り X pt → Y pt)."""
    request = view.request
    estimate = view.estimate
    context = dict(estimate=estimate, charged=view.charged, estimate_rows=[], menu_categories=[], urgency=None,
                   estimate_open=False,
                   points_summary=None, can_estimate=permissions.can(me.user, permissions.ESTIMATE_EDIT),
                   can_answer=permissions.can(me.user, permissions.ESTIMATE_ANSWER), **labels())
    if context["can_estimate"]:
        context["menu_categories"] = point_menu.menu(me.user)
        context["urgency"] = estimates.urgency_of(request)
        offered = {item.item_id for category in context["menu_categories"] for item in category.items}
        context["estimate_rows"] = _rows(estimate, typed, offered)
    # A refused estimate form is shown open, with what was typed.
    context["estimate_open"] = any(name.startswith("menu_") for name in typed)
    if context["can_answer"] and estimate is not None:
        context["points_summary"] = statements.summary(me.user, request.company_id)
    return context


def _rows(estimate, typed: dict, offered: set[str]) -> list[estimates.LineInput]:
    """The rows of the estimate form: as typed after a refusal, else the saved items, and a few
    empty rows to add more. A saved item whose menu entry was stopped since comes back as a
    free-form item with the name and points it was estimated with."""
    if any(name.startswith(("menu_", "name_")) for name in typed):
        count = 1 + max(int(name.split("_")[1]) for name in typed
                        if name.startswith(("menu_", "qty_", "name_", "points_")) and name.split("_")[1].isdigit())
        return [estimates.LineInput(menu_item_id=typed.get(f"menu_{i}", ""), quantity=typed.get(f"qty_{i}", ""),
                                 name=typed.get(f"name_{i}", ""), points=typed.get(f"points_{i}", ""))
                for i in range(count)]
    rows = []
    for line in estimate.lines if estimate else []:
        from_menu = line.menu_item_id in offered
        rows.append(estimates.LineInput(menu_item_id=line.menu_item_id if from_menu else "",
                                     quantity=str(int(line.quantity)), name="" if from_menu else line.name,
                                     points="" if from_menu else r.format_points(line.unit_tenths).replace(",", "")))
    return rows + [estimates.LineInput() for _ in range(max(3, 5 - len(rows)))]


ESTIMATE_ROWS_MAX = 40


def posted_rows() -> list[estimates.LineInput]:
    fields = form()
    indexes = [int(name.split("_")[1]) for name in fields
               if name.startswith(("menu_", "qty_", "name_", "points_")) and name.split("_")[1].isdigit()]
    count = min(max(indexes) + 1, ESTIMATE_ROWS_MAX) if indexes else 0
    # Row numbers are kept (empty rows too), so a refusal names the row the user typed in.
    return [estimates.LineInput(menu_item_id=fields.get(f"menu_{i}", ""), quantity=fields.get(f"qty_{i}", ""),
                             name=fields.get(f"name_{i}", ""), points=fields.get(f"points_{i}", ""))
            for i in range(count)]
