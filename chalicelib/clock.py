"""The current time and Japan's calendar, in one place (services take ``now`` so tests can move it).

A shared leaf, below services and beside templating: pages format times in JST and services count
days in it, and both must agree on what "today in Japan" is.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")  # Japan has no daylight saving time


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def japan_date(moment: datetime) -> date:
    """The calendar day in Japan of an aware datetime, e.g. a request's ``created_at`` (its filing day)."""
    return moment.astimezone(JST).date()


def today_in_japan(now: datetime | None = None) -> date:
    """Today in Japan (or the day of ``now`` there)."""
    return japan_date(now or utcnow())


def format_jst(moment: datetime | None, pattern: str = "%Y/%m/%d %H:%M") -> str:
    """A moment as people in Japan read it ("" for none); a naive datetime is taken as UTC."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(JST).strftime(pattern)
