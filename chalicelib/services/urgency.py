"""Urgency (特急料金): the multiplier a short lead time to 公開希望日 puts on a request's points.

The agency admin sets rules "within n business days -> x multiplier" and its closed days (休業日)
on the 特急料金・休業日 page; ``urgency_for`` applies them to a request. The multiplier is fixed
by the filing day (the lead time the client gave), not by the day staff estimate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Iterable

from chalicelib.messages import t
from chalicelib.models.urgency import UrgencySettings
from chalicelib.services import business_days
from chalicelib.services.business_days import ClosedPeriod
from chalicelib.services.clock import utcnow

JST = timezone(timedelta(hours=9))

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


def format_multiplier(multiplier: Decimal) -> str:
    """"2.0", "1.5", "1.25": at least one decimal place, no trailing zeros beyond it."""
    text = format(multiplier.normalize(), "f")
    return text if "." in text else text + ".0"


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


def today_in_japan(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(JST).date()
