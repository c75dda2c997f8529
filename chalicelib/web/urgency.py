"""特急料金・休業日: the agency admin's urgency rules and closed days (/settings/urgency)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.messages import t
from chalicelib.services import urgency, validation
from chalicelib.services.auth import SignedIn
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

# Blank rows the page offers beyond the stored ones, so rows are added without JavaScript.
SPARE_RULES = 2
SPARE_CLOSED = 3


def _render(form: urgency.UrgencyForm, *, version, errors: dict | None = None, status: int = 200, notice=None):
    rules = form.rules + [urgency.RuleRow() for _ in range(SPARE_RULES)]
    closed = form.closed + [urgency.ClosedRow() for _ in range(SPARE_CLOSED)]
    return page("settings/urgency.html", status=status, version=version, errors=errors or {}, notice=notice,
                rules=rules[:urgency.MAX_RULES], closed=closed[:urgency.MAX_CLOSED],
                holidays=urgency.upcoming_holidays())


def _posted() -> urgency.UrgencyForm:
    """Rows as posted (rule_days_0, closed_first_0, ...), up to the most the page can show."""
    return urgency.UrgencyForm(
        rules=[urgency.RuleRow(field(f"rule_days_{i}"), field(f"rule_multiplier_{i}")) for i in range(urgency.MAX_RULES)],
        closed=[urgency.ClosedRow(field(f"closed_first_{i}"), field(f"closed_last_{i}"), field(f"closed_name_{i}"))
                for i in range(urgency.MAX_CLOSED)])


def _trimmed(form: urgency.UrgencyForm) -> urgency.UrgencyForm:
    """The posted rows up to the last one with something typed (blank spares are added again)."""
    def upto_last(rows):
        filled = [i for i, row in enumerate(rows) if not row.blank()]
        return rows[:filled[-1] + 1] if filled else []
    return urgency.UrgencyForm(rules=upto_last(form.rules), closed=upto_last(form.closed))


@bp.route("/settings/urgency", methods=["GET"])
@signed_in_page
def urgency_form(me: SignedIn):
    settings = urgency.load_settings(me.user)
    notice = t("urgency.saved") if (bp.current_request.query_params or {}).get("notice") == "saved" else None
    return _render(urgency.form_of(settings), version=settings.version, notice=notice)


@bp.route("/settings/urgency", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def urgency_save(me: SignedIn):
    form = _posted()
    raw_version = field("version")
    version = validation.whole_number(raw_version)
    return submit(lambda: urgency.update_settings(me.user, form, version=version),
                  done=lambda _: redirect("/settings/urgency?notice=saved"),
                  refuse=lambda status, errors: _render(_trimmed(form), version=version, errors=errors, status=status))
