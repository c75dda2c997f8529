"""ポイント表, 残りポイント and ポイント履歴, 月次明細 (page and CSV), and the agency's overview of
every company's usage. The company page's 契約 panel is in web/companies.py, the 見積 panel of a
request in web/estimate_panel.py; both use ``labels`` and the statement page from here."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.messages import t
from chalicelib.services import audit, contracts, estimates, ledger, permissions, statements
from chalicelib.services import menu as point_menu  # this module has a page called menu
from chalicelib.services import pointrules as r
from chalicelib.services.auth import SignedIn
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

MENU_NOTICES = {"added": "menu.added", "updated": "menu.updated"}
MENU_FIELDS = ("category", "new_category", "name", "points", "description")


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
    categories = point_menu.menu(me.user, include_stopped=can_edit)
    return page("points/menu.html", status=status, categories=categories,
                category_names=sorted({category.name for category in categories}),
                NEW_CATEGORY=point_menu.NEW_CATEGORY, can_edit=can_edit, errors=errors or {}, menu_form=menu_form or point_menu.MenuForm(), editing=editing,
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
    return submit(lambda: point_menu.add_menu_item(me.user, menu_form), done=lambda _: redirect("/points/menu?notice=added"),
                  refuse=lambda status, errors: _menu_page(me, status=status, errors=errors, menu_form=menu_form),
                  conflict=False)


@bp.route("/points/menu/{item_id}", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def menu_update(me: SignedIn, item_id: str):
    editing = point_menu.find_menu_item(me.user, item_id)
    menu_form = _posted_menu()
    return submit(lambda: point_menu.update_menu_item(me.user, item_id, menu_form, active=field("active") == "1"),
                  done=lambda _: redirect("/points/menu?notice=updated"),
                  refuse=lambda status, errors: _menu_page(me, status=status, errors=errors, menu_form=menu_form,
                                                           editing=editing),
                  conflict=False)


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

def picked_month(year: str, number: str) -> str:
    """``YYYY-MM`` from the month picker's two selects (templates/_month_picker.html); anything
    else that comes is passed on as sent, for the service to refuse at the field."""
    if number.isascii() and number.isdigit() and len(number) <= 2:
        number = number.zfill(2)
    return f"{year}-{number}"


def _month() -> str:
    """The month asked for: ``month=YYYY-MM`` (the pages' links), or the picker's two selects."""
    year, number = _query("year"), _query("month_number")
    if year or number:
        return picked_month(year, number)
    return _query("month") or r.month_of(ledger.today_jst())


def month_choices(month: str) -> dict:
    """The selects' options: the years up to this one (and the shown month's), months 1-12."""
    this_month = r.month_of(ledger.today_jst())
    this_year = int(this_month[:4])
    years = list(range(max(2000, this_year - 9), this_year + 1))
    shown = month if r.is_month(month) and month <= this_month else this_month
    if int(shown[:4]) not in years:
        years.insert(0, int(shown[:4]))
    return dict(years=years, shown_year=int(shown[:4]), shown_number=int(shown[5:]), this_month=this_month,
                month_label=r.month_label)


def statement_page(me: SignedIn, company_id: str | None, base: str):
    month = _month()
    choices = month_choices(month)
    following = r.next_month(month) if r.is_month(month) else None
    return submit(lambda: statements.statement(me.user, company_id, month),
                  done=lambda view: page("points/statement.html", view=view, month=month, errors={}, base=base,
                                         previous=r.previous_month(month),
                                         following=following if following <= choices["this_month"] else None,
                                         **choices, **labels()),
                  refuse=lambda status, errors: page("points/statement.html", status=status, view=None, month=month,
                                                     errors=errors, base=base, **choices, **labels()),
                  conflict=False)


def _csv(me: SignedIn, company_id: str | None):
    view = statements.statement(me.user, company_id, _month())  # a bad month: Invalid -> 400 page below
    name = statements.statement_filename(view)
    audit.record("statement_downloaded", actor=me.user, target=f"statement:{view.company.company_id}:{view.month}",
                 target_name=name, company_id=view.company.company_id, changes={"month": {"old": "", "new": view.month}})
    disposition = f"attachment; filename=\"statement-{view.month}.csv\"; filename*=UTF-8''{quote(name)}"
    # A text body: Chalice sends str as UTF-8 (bytes would need API Gateway binary types); the
    # BOM stays its first character.
    return Response(body=statements.statement_csv(view).decode("utf-8"), status_code=200,
                    headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": disposition})


def csv_or_400(me: SignedIn, company_id: str | None, base: str):
    return submit(lambda: _csv(me, company_id), done=lambda response: response,
                  refuse=lambda status, errors: statement_page(me, company_id, base), conflict=False)


@bp.route("/points/statement", methods=["GET"])
@signed_in_page
def statement(me: SignedIn):
    return statement_page(me, me.user.company_id, "/points/statement")


@bp.route("/points/statement.csv", methods=["GET"])
@signed_in_page
def statement_csv(me: SignedIn):
    return csv_or_400(me, me.user.company_id, "/points/statement")
