"""Urgency (特急料金): the multiplier a short lead time to 公開希望日 puts on a request's points.

The agency admin sets rules "within n business days -> x multiplier" and its closed days (休業日)
on the 特急料金・休業日 page; ``urgency_for`` applies them to a request. The multiplier is fixed
by the filing day (the lead time the client gave), not by the day staff estimate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Iterable

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.messages import t
from chalicelib.models.base import is_condition_failure
from chalicelib.models.urgency import ClosedPeriodAttribute, UrgencyRuleAttribute, UrgencySettings
from chalicelib.models.users import User
from chalicelib.services import business_days, permissions
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v
from chalicelib.services.business_days import ClosedPeriod
from chalicelib.clock import japan_date, today_in_japan  # noqa: F401  (urgency.today_in_japan is read by pages and tests)
from chalicelib.errors import Conflict, Invalid

NO_MULTIPLIER = Decimal("1")
# The longest lead time a rule may name. The holiday table is kept at least two years ahead
# (a unit test fails otherwise), far beyond this, so no multiplier depends on an unknown holiday.
MAX_RULE_DAYS = 60
MAX_MULTIPLIER = Decimal("10")
MAX_RULES = 10
MAX_CLOSED = 50
MAX_CLOSED_SPAN_DAYS = 366
CLOSED_NAME_MAX = 30


@dataclass(frozen=True)
class Urgency:
    lead_days: int | None   # business days from the filing day to 公開希望日; None without a date
    multiplier: Decimal     # Decimal("1") when no rule applies (or no date)
    label: str              # Japanese, e.g. "特急(3営業日以内) ×2.0"; "" when no rule applies


@dataclass(frozen=True)
class UrgencyRule:
    within_days: int        # applies when the lead time is at most this many business days
    multiplier: Decimal


# The rules' own form of a multiplier ("2.0", "1.5"): pointrules.format_multiplier, plain.
format_multiplier = partial(r.format_multiplier, plain=True)


def apply_rules(lead_days: int | None, rules: Iterable[UrgencyRule]) -> Urgency:
    """The rule with the shortest lead time that still covers ``lead_days`` (rules are "within
    n business days"), or no multiplier. Pure."""
    if lead_days is None:
        return Urgency(lead_days=None, multiplier=NO_MULTIPLIER, label="")
    matching = [rule for rule in rules if lead_days <= rule.within_days]
    if not matching:
        return Urgency(lead_days=lead_days, multiplier=NO_MULTIPLIER, label="")
    rule = min(matching, key=lambda rule: rule.within_days)
    label = t("urgency.label", days=rule.within_days, multiplier=format_multiplier(rule.multiplier))
    return Urgency(lead_days=lead_days, multiplier=rule.multiplier, label=label)


def rules_of(settings: UrgencySettings) -> list[UrgencyRule]:
    return sorted((UrgencyRule(int(rule.within_days), Decimal(rule.multiplier)) for rule in settings.rules),
                  key=lambda rule: rule.within_days)


def closed_of(settings: UrgencySettings) -> list[ClosedPeriod]:
    return sorted((ClosedPeriod(date.fromisoformat(period.first), date.fromisoformat(period.last), period.name or "")
                   for period in settings.closed), key=lambda period: (period.first, period.last))


def urgency_from(settings: UrgencySettings, due: date | None, *, filed_on: date) -> Urgency:
    """``urgency_for`` with the settings already read. Pure."""
    lead = None if due is None else business_days.lead_days(filed_on, due, closed_of(settings))
    return apply_rules(lead, rules_of(settings))


def urgency_for(due: date | None, *, filed_on: date) -> Urgency:
    """Applies the agency's urgency rules and closed days (one DynamoDB get) to a request's
    公開希望日 as seen from its filing day (both dates in Japan time)."""
    if due is None:
        return apply_rules(None, ())
    return urgency_from(UrgencySettings.load(), due, filed_on=filed_on)


# --- the 特急料金・休業日 page (agency admin) ------------------------------------------------

@dataclass
class RuleRow:
    within_days: str = ""
    multiplier: str = ""

    def blank(self) -> bool:
        return not (self.within_days.strip() or self.multiplier.strip())


@dataclass
class ClosedRow:
    first: str = ""
    last: str = ""
    name: str = ""

    def blank(self) -> bool:
        return not (self.first.strip() or self.last.strip() or self.name.strip())


@dataclass
class UrgencyForm:
    """The page as typed (every value text), so a refused form keeps everything."""

    rules: list[RuleRow] = field(default_factory=list)
    closed: list[ClosedRow] = field(default_factory=list)


def load_settings(actor: User) -> UrgencySettings:
    permissions.authorize(actor, permissions.SETTINGS_EDIT, agency_target=True)
    return UrgencySettings.load()


def upcoming_holidays(*, now: datetime | None = None) -> list[tuple[date, str]]:
    """The public holidays of the coming year, which the page lists as already excluded."""
    today = today_in_japan(now)
    return business_days.holidays_between(today, today + timedelta(days=365))


def form_of(settings: UrgencySettings) -> UrgencyForm:
    """The stored rules and closed days as the page shows them."""
    return UrgencyForm(
        rules=[RuleRow(str(rule.within_days), format_multiplier(rule.multiplier)) for rule in rules_of(settings)],
        closed=[ClosedRow(period.first.isoformat(), "" if period.last == period.first else period.last.isoformat(),
                          period.name) for period in closed_of(settings)])


def _clean_days(raw: str, name: str, errors: v.FieldErrors) -> int | None:
    value = v.number_text(raw).removesuffix("営業日")
    if not errors.check(name, bool(value), "required"):
        return None
    days = v.whole_number(value)
    if not errors.check(name, days is not None and 1 <= days <= MAX_RULE_DAYS, "urgency.days_range",
                        max=MAX_RULE_DAYS):
        return None
    return days


def _clean_multiplier(raw: str, name: str, errors: v.FieldErrors) -> Decimal | None:
    value = v.number_text(raw).lstrip("×xX*").removesuffix("倍").strip()
    if not errors.check(name, bool(value), "required"):
        return None
    number = v.decimal_number(value)
    valid = (number is not None and number.is_finite() and NO_MULTIPLIER < number <= MAX_MULTIPLIER
             and number.as_tuple().exponent >= -2)
    if not errors.check(name, valid, "urgency.multiplier_range", max=MAX_MULTIPLIER):
        return None
    return number


def _clean_date(raw: str, name: str, errors: v.FieldErrors) -> date | None:
    return v.iso_date(errors, name, raw, blank_is_invalid=True)


def _clean_rules(rows: list[RuleRow], errors: v.FieldErrors) -> list[UrgencyRule]:
    rules: list[tuple[int, UrgencyRule]] = []
    for index, row in enumerate(rows):
        if row.blank():
            continue
        days = _clean_days(row.within_days, f"rule_days_{index}", errors)
        multiplier = _clean_multiplier(row.multiplier, f"rule_multiplier_{index}", errors)
        if days is None or multiplier is None:
            continue
        if any(rule.within_days == days for _, rule in rules):
            errors.check(f"rule_days_{index}", False, "urgency.days_duplicate", days=days)
            continue
        rules.append((index, UrgencyRule(days, multiplier)))
    if len(rules) > MAX_RULES:
        errors.check("rules", False, "urgency.too_many_rules", max=MAX_RULES)
    # "Within n days" rules nest: a shorter lead must never cost less than a longer one.
    ordered = sorted(rules, key=lambda pair: pair[1].within_days)
    for (_, shorter), (index, longer) in zip(ordered, ordered[1:]):
        errors.check(f"rule_multiplier_{index}", longer.multiplier < shorter.multiplier, "urgency.multiplier_order",
                     days=shorter.within_days, multiplier=format_multiplier(shorter.multiplier))
    return [rule for _, rule in ordered]


def _clean_closed(rows: list[ClosedRow], errors: v.FieldErrors) -> list[ClosedPeriod]:
    periods = []
    for index, row in enumerate(rows):
        if row.blank():
            continue
        first_name, last_name, label_name = f"closed_first_{index}", f"closed_last_{index}", f"closed_name_{index}"
        label = v.clean_line(row.name, errors, label_name, maximum=CLOSED_NAME_MAX, required=False)
        if not errors.check(first_name, bool(row.first.strip()), "required"):
            continue
        first = _clean_date(row.first, first_name, errors)
        last = _clean_date(row.last, last_name, errors) if row.last.strip() else first
        if first is None or last is None:
            continue
        if not errors.check(last_name, last >= first, "urgency.closed_order"):
            continue
        if not errors.check(last_name, (last - first).days < MAX_CLOSED_SPAN_DAYS, "urgency.closed_span",
                            max=MAX_CLOSED_SPAN_DAYS):
            continue
        periods.append(ClosedPeriod(first, last, label))
    if len(periods) > MAX_CLOSED:
        errors.check("closed", False, "urgency.too_many_closed", max=MAX_CLOSED)
    return sorted(periods, key=lambda period: (period.first, period.last))


def update_settings(actor: User, form: UrgencyForm, *, version: int | None) -> UrgencySettings:
    """Replace the rules and closed days. Raises Invalid (messages per field, e.g. ``rule_days_0``)
    or Conflict when someone saved since the page was read (optimistic locking)."""
    permissions.authorize(actor, permissions.SETTINGS_EDIT, agency_target=True)
    errors = v.FieldErrors()
    rules = _clean_rules(form.rules, errors)
    closed = _clean_closed(form.closed, errors)
    if errors:
        raise Invalid(dict(errors))
    settings = UrgencySettings.load()
    if settings.version != version:
        raise Conflict("urgency settings changed meanwhile")
    settings.rules = [UrgencyRuleAttribute(within_days=rule.within_days, multiplier=format_multiplier(rule.multiplier))
                      for rule in rules]
    settings.closed = [ClosedPeriodAttribute(first=period.first.isoformat(), last=period.last.isoformat(),
                                             name=period.name) for period in closed]
    try:
        settings.save()  # VersionAttribute: refused if someone saved in between
    except (PutError, UpdateError) as error:
        if is_condition_failure(error):
            raise Conflict("urgency settings changed meanwhile") from None
        raise
    return settings


# --- the live hint on the 新規依頼 form ---------------------------------------------------------

@dataclass(frozen=True)
class Preview:
    due: date
    urgency: Urgency


def preview(actor: User, raw_due: str, *, now: datetime | None = None) -> Preview:
    """What filing today with 公開希望日 ``raw_due`` would mean. Raises Invalid (``due_date``) for a
    date the 新規依頼 form would refuse, with the same message."""
    permissions.authorize(actor, permissions.REQUEST_CREATE, company_id=actor.company_id)
    today = today_in_japan(now)
    errors: dict[str, str] = {}
    due = v.iso_date(errors, "due_date", raw_due, blank_is_invalid=True, not_before=today)  # as 新規依頼 checks it
    if errors:
        raise Invalid(errors)
    return Preview(due=due, urgency=urgency_for(due, filed_on=today))


def hint(urgency: Urgency) -> str:
    """The sentence under 公開希望日, e.g. 「公開希望日まで3営業日: 特急料金 ×1.5 が適用されます」."""
    if urgency.lead_days is None:
        return ""
    if urgency.label:
        return t("urgency.hint_applies", days=urgency.lead_days, multiplier=format_multiplier(urgency.multiplier))
    return t("urgency.hint_none", days=urgency.lead_days)


@dataclass(frozen=True)
class Hint:
    message: str
    applied: bool           # a multiplier applies (the hint is drawn as a warning)


def form_hint(actor: User, raw_due: str) -> Hint | None:
    """The hint a re-shown 新規依頼 form carries for the date typed, so it reads the same with or
    without JavaScript; None without a date or for one the form refuses (its error says why)."""
    if not raw_due.strip():
        return None
    try:
        shown = preview(actor, raw_due)
    except Invalid:
        return None
    return Hint(message=hint(shown.urgency), applied=bool(shown.urgency.label))
