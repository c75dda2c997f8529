"""Business days (営業日) in Japan: pure arithmetic over the holiday table and the agency's closed days.

A day is a business day unless it is a Saturday or Sunday, a Japanese public holiday (国民の祝日,
振替休日, 国民の休日: chalicelib/data/holidays-jp.csv) or inside one of the agency's closed periods
(年末年始, 夏季休業, ...). Nothing here touches AWS, so everything is unit-tested directly.

Lead time: ``lead_days(filed_on, due)`` counts the business days after the filing day up to and
including the due day, so "due is the n-th business day after filing" gives n: a Monday filing due
on Tuesday is 1, due the same day (or earlier) is 0, and a due day that is itself closed counts like
the last business day before it (the agency has no more working time for a Saturday publication
than for Friday's).

Dates outside the table: the table covers whole years (its ``# years:`` header). For a day outside
it, holidays are unknown; such a day counts as a business day unless it is a weekend or closed, and
a warning is logged so the table gets refreshed. This only ever lengthens a lead time, and a unit
test keeps the table at least two years ahead of today, beyond the longest lead time an urgency rule
may name (``MAX_RULE_DAYS``), so no multiplier can depend on an unknown holiday.
"""
from __future__ import annotations

import csv
import functools
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

HOLIDAYS_FILE = Path(__file__).resolve().parent.parent / "data" / "holidays-jp.csv"


@dataclass(frozen=True)
class ClosedPeriod:
    """Days the agency does not work, ``first`` to ``last`` inclusive (one day when they are equal)."""

    first: date
    last: date
    name: str = ""


@dataclass(frozen=True)
class HolidayTable:
    names: dict[date, str]
    first_year: int
    last_year: int

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year


def parse_holidays(lines: Iterable[str]) -> HolidayTable:
    """The table from the CSV text: ``#`` comments (one of them ``# years: FIRST-LAST``), a
    ``date,name`` header, then one holiday per line. Raises ValueError on anything else, so a
    broken file fails at the first use instead of silently dropping holidays."""
    years = None
    rows = []
    for line in lines:
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            if key.strip() == "years":
                first, _, last = value.strip().partition("-")
                years = (int(first), int(last))
        elif line.strip():
            rows.append(line)
    if years is None:
        raise ValueError("holiday table without a '# years: FIRST-LAST' line")
    names = {}
    for row in csv.DictReader(rows):
        day = date.fromisoformat(row["date"])
        if not years[0] <= day.year <= years[1] or not row["name"]:
            raise ValueError(f"holiday row outside the table's years or without a name: {row}")
        names[day] = row["name"]
    return HolidayTable(names=names, first_year=years[0], last_year=years[1])


@functools.cache
def holiday_table() -> HolidayTable:
    """The bundled table, read once per process."""
    with HOLIDAYS_FILE.open(encoding="utf-8") as handle:
        return parse_holidays(handle)


def holiday_name(day: date) -> str | None:
    """The public holiday's name (e.g. "秋分の日"), or None."""
    return holiday_table().names.get(day)


def holidays_between(first: date, last: date) -> list[tuple[date, str]]:
    """The public holidays from ``first`` to ``last`` inclusive, in date order."""
    return sorted((day, name) for day, name in holiday_table().names.items() if first <= day <= last)


def _closed_days(closed: Iterable[ClosedPeriod], start: date, end: date) -> set[date]:
    """The closed days within start..end (inclusive); periods may overlap."""
    days = set()
    for period in closed:
        first, last = max(period.first, start), min(period.last, end)
        # Counted by offset, never stepping past ``last``: a period ending on 9999-12-31 would
        # otherwise step beyond date.max (OverflowError).
        days.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return days


def is_business_day(day: date, closed: Iterable[ClosedPeriod] = ()) -> bool:
    if day.weekday() >= 5 or day in _closed_days(closed, day, day):
        return False
    table = holiday_table()
    if not table.covers(day):
        log.warning("holiday table (%s-%s) does not cover %s: counted without holidays",
                    table.first_year, table.last_year, day)
    return day not in table.names


def _weekdays_up_to(day: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday) through ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def lead_days(filed_on: date, due: date, closed: Iterable[ClosedPeriod] = ()) -> int:
    """Business days after ``filed_on`` up to and including ``due``; 0 when ``due`` is not after
    ``filed_on``. Counted arithmetically, so a due date decades away costs no more than next week."""
    if due <= filed_on:
        return 0
    start = filed_on + timedelta(days=1)
    count = _weekdays_up_to(due) - _weekdays_up_to(filed_on)
    table = holiday_table()
    holidays = {day for day in table.names if start <= day <= due and day.weekday() < 5}
    count -= len(holidays)
    count -= sum(1 for day in _closed_days(closed, start, due) if day.weekday() < 5 and day not in holidays)
    if not (table.covers(filed_on) and table.covers(due)):
        log.warning("holiday table (%s-%s) does not cover %s..%s: days outside it counted without holidays",
                    table.first_year, table.last_year, filed_on, due)
    return count
