"""The 見積 panel of the progress screen (依頼の進行画面): what it shows, and the rows posted from it.

Its routes (save, 承認, 差し戻し) are request actions and live with the others in
web/requests.py, which draws the whole screen and asks this module for the panel's part.
"""
from __future__ import annotations

from chalicelib.services import estimates, permissions, statements
from chalicelib.services import menu as point_menu
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v
from chalicelib.services.auth import SignedIn
from chalicelib.web.forms import form
from chalicelib.web.points import labels


def context(me: SignedIn, view, typed: dict) -> dict:
    """What the 見積 panel of the progress screen needs: for staff the menu and the multiplier;
    for the client its balance (残り X pt → Y pt)."""
    request = view.request
    estimate = view.estimate
    context = dict(estimate=estimate, charged=view.charged, estimate_rows=[], menu_categories=[], urgency=None,
                   estimate_open=False, empty_row=estimates.LineInput(), rows_max=ESTIMATE_ROWS_MAX,
                   lines_max=estimates.ESTIMATE_LINES_MAX,
                   points_summary=None, can_estimate=permissions.can(me.user, permissions.ESTIMATE_EDIT),
                   can_answer=permissions.can(me.user, permissions.ESTIMATE_ANSWER), **labels())
    if context["can_estimate"]:
        context["menu_categories"] = point_menu.menu(me.user)
        context["urgency"] = estimates.urgency_of(request)
        offered = {item.item_id for category in context["menu_categories"] for item in category.items}
        context["estimate_rows"] = _rows(estimate, typed, offered)
    # A refused estimate form is shown open, with what was typed.
    context["estimate_open"] = _row_count(typed) > 0
    if context["can_answer"] and estimate is not None:
        context["points_summary"] = statements.summary(me.user, request.company_id)
    return context


def _rows(estimate, typed: dict, offered: set[str]) -> list[estimates.LineInput]:
    """The rows of the estimate form: as typed after a refusal, else the saved items, and a few
    empty rows to add more. A saved item whose menu entry was stopped since comes back as a
    free-form item with the name and points it was estimated with."""
    if _row_count(typed):
        return _typed_rows(typed)
    rows = []
    for line in estimate.lines if estimate else []:
        from_menu = line.menu_item_id in offered
        rows.append(estimates.LineInput(menu_item_id=line.menu_item_id if from_menu else "",
                                     quantity=str(int(line.quantity)), name="" if from_menu else line.name,
                                     points="" if from_menu else r.format_points(line.unit_tenths).replace(",", ""),
                                     note=line.note or ""))
    return rows + [estimates.LineInput() for _ in range(max(3, 5 - len(rows)))]


ESTIMATE_ROWS_MAX = 40
ROW_FIELDS = ("menu", "qty", "name", "points", "note")


def _row_count(fields: dict) -> int:
    """How many rows the posted fields reach (``qty_3`` -> 4), at most ESTIMATE_ROWS_MAX: a row
    name is never parsed beyond ASCII digits, and ``menu_200000`` cannot make 200,000 rows."""
    indexes = [index for index in (v.row_index(name, ROW_FIELDS) for name in fields) if index is not None]
    return min(max(indexes) + 1, ESTIMATE_ROWS_MAX) if indexes else 0


def _typed_rows(fields: dict) -> list[estimates.LineInput]:
    # Row numbers are kept (empty rows too), so a refusal names the row the user typed in.
    return [estimates.LineInput(menu_item_id=fields.get(f"menu_{i}", ""), quantity=fields.get(f"qty_{i}", ""),
                                name=fields.get(f"name_{i}", ""), points=fields.get(f"points_{i}", ""),
                                note=fields.get(f"note_{i}", ""))
            for i in range(_row_count(fields))]


def posted_rows() -> list[estimates.LineInput]:
    """The estimate form's rows as posted (reading them checks nothing: the service does, after
    the permission check)."""
    return _typed_rows(form())
