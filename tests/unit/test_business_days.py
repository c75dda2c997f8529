"""Business days in Japan and the urgency rules: pure functions over the bundled holiday table."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.services import business_days as bd
from chalicelib.services.business_days import ClosedPeriod
from chalicelib.services.urgency import MAX_RULE_DAYS, Urgency, UrgencyRule, apply_rules, format_multiplier

D = date.fromisoformat


# --- the table ------------------------------------------------------------------------------

def test_table_reaches_two_years_beyond_today():
    """Refresh chalicelib/data/holidays-jp.csv (its header names the source) when this fails:
    lead times up to MAX_RULE_DAYS must never run past the table."""
    today = datetime.now(timezone(timedelta(hours=9))).date()
    assert bd.holiday_table().last_year >= today.year + 2
    assert today + timedelta(days=MAX_RULE_DAYS * 2) <= date(bd.holiday_table().last_year, 12, 31)


def test_table_covers_whole_years_through_2030_and_names_its_source():
    table = bd.holiday_table()
    assert table.first_year <= 2025 and table.last_year >= 2030
    header = bd.HOLIDAYS_FILE.read_text(encoding="utf-8")
    assert "内閣府" in header and f"# years: {table.first_year}-{table.last_year}" in header
    for year in range(table.first_year, table.last_year + 1):
        names = [name for day, name in table.names.items() if day.year == year]
        # The 16 national holidays every year, plus 振替休日 and 国民の休日 in some years.
        assert len(set(names) - {"振替休日", "国民の休日"}) == 16, year
        assert {"元日", "春分の日", "秋分の日", "天皇誕生日", "憲法記念日", "こどもの日"} <= set(names), year


@pytest.mark.parametrize("day,name", [
    ("2026-01-01", "元日"), ("2026-01-12", "成人の日"), ("2026-03-20", "春分の日"),
    ("2026-05-03", "憲法記念日"), ("2026-05-06", "振替休日"), ("2026-09-21", "敬老の日"),
    ("2026-09-22", "国民の休日"), ("2026-09-23", "秋分の日"), ("2027-03-21", "春分の日"),
    ("2027-03-22", "振替休日"), ("2028-09-22", "秋分の日"), ("2030-11-04", "振替休日"),
])
def test_known_holidays(day, name):
    assert bd.holiday_name(D(day)) == name


def test_malformed_table_is_refused():
    with pytest.raises(ValueError):
        bd.parse_holidays(["date,name", "2026-01-01,元日"])                    # no years line
    with pytest.raises(ValueError):
        bd.parse_holidays(["# years: 2026-2026", "date,name", "2027-01-01,元日"])  # outside its years
    with pytest.raises(ValueError):
        bd.parse_holidays(["# years: 2026-2026", "date,name", "2026-13-01,元日"])


# --- business days --------------------------------------------------------------------------

@pytest.mark.parametrize("day,expected", [
    ("2026-12-01", True),    # Tuesday
    ("2026-12-05", False),   # Saturday
    ("2026-12-06", False),   # Sunday
    ("2026-09-22", False),   # 国民の休日 between 敬老の日 and 秋分の日
    ("2026-05-06", False),   # 振替休日 for 憲法記念日 on a Sunday
    ("2026-12-31", True),    # year end is not a public holiday; agencies close it themselves
])
def test_is_business_day(day, expected):
    assert bd.is_business_day(D(day)) is expected


@pytest.mark.parametrize("filed,due,expected", [
    ("2026-12-07", "2026-12-08", 1),    # Monday -> Tuesday
    ("2026-12-07", "2026-12-11", 4),    # Monday -> Friday
    ("2026-12-04", "2026-12-07", 1),    # Friday -> Monday, the weekend skipped
    ("2026-12-04", "2026-12-05", 0),    # Friday -> Saturday: no business day after the filing
    ("2026-12-03", "2026-12-05", 1),    # due on a Saturday counts like the Friday before
    ("2026-12-05", "2026-12-07", 1),    # filed on a Saturday: Monday is the first business day
    ("2026-12-07", "2026-12-07", 0),    # due on the filing day
    ("2026-12-07", "2026-12-01", 0),    # due in the past
    ("2026-12-07", "2026-12-21", 10),   # two whole weeks
    # Golden Week 2026: 4/29 (Wed) 昭和の日, 5/3 (Sun) 憲法記念日, 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日
    ("2026-04-28", "2026-05-07", 3),    # 4/30, 5/1, (5/2-5/6 off), 5/7
    ("2026-05-01", "2026-05-07", 1),    # only 5/7
    ("2026-05-01", "2026-05-06", 0),    # due on the 振替休日
    # Silver week 2026: 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日
    ("2026-09-18", "2026-09-24", 1),
    ("2026-09-18", "2026-09-22", 0),    # due on the 国民の休日
    # Equinoxes: 春分の日 2027-03-21 is a Sunday, so Monday 3/22 is its 振替休日
    ("2027-03-19", "2027-03-23", 1),
    ("2026-03-19", "2026-03-23", 1),    # 2026-03-20 (Fri) 春分の日
    ("2028-09-21", "2028-09-25", 1),    # 2028-09-22 (Fri) 秋分の日
    # Year end and new year: 1/1 元日 only (1/2, 1/3 are the agency's own business)
    ("2026-12-30", "2027-01-05", 3),    # 12/31, 1/4, 1/5
    ("2027-12-30", "2028-01-04", 3),    # 12/31 (Fri), 1/3 (Mon), 1/4; 1/1 is a Saturday
])
def test_lead_days(filed, due, expected):
    assert bd.lead_days(D(filed), D(due)) == expected


NEW_YEAR = ClosedPeriod(D("2026-12-29"), D("2027-01-04"), "年末年始")
SUMMER = ClosedPeriod(D("2027-08-12"), D("2027-08-16"), "夏季休業")
FOUNDATION = ClosedPeriod(D("2026-12-15"), D("2026-12-15"), "創立記念日")


@pytest.mark.parametrize("filed,due,closed,expected", [
    ("2026-12-25", "2027-01-06", [NEW_YEAR], 3),                 # 12/28, then 1/5 and 1/6
    ("2026-12-28", "2027-01-05", [NEW_YEAR], 1),                 # only 1/5
    ("2026-12-28", "2027-01-04", [NEW_YEAR], 0),                 # due inside the closed range
    ("2026-12-14", "2026-12-16", [FOUNDATION], 1),               # a single closed day
    ("2026-12-14", "2026-12-16", [FOUNDATION, FOUNDATION], 1),   # overlapping periods count once
    ("2027-08-11", "2027-08-17", [SUMMER], 1),
    ("2026-12-07", "2026-12-11", [SUMMER], 4),                   # a period outside the range changes nothing
    # A closed range over a weekend and a holiday does not remove those twice.
    ("2026-12-30", "2027-01-05", [ClosedPeriod(D("2027-01-01"), D("2027-01-03"))], 3),
])
def test_lead_days_skip_closed_periods(filed, due, closed, expected):
    assert bd.lead_days(D(filed), D(due), closed) == expected


def test_closed_day_is_not_a_business_day():
    assert bd.is_business_day(D("2026-12-15")) is True
    assert bd.is_business_day(D("2026-12-15"), [FOUNDATION]) is False
    assert bd.is_business_day(D("2026-12-30"), [NEW_YEAR]) is False


def test_lead_days_agree_with_counting_day_by_day():
    """The arithmetic count equals the plain definition over a year of filing days."""
    closed = [NEW_YEAR, SUMMER, FOUNDATION]
    start = D("2026-11-01")
    for offset in range(0, 400, 3):
        filed = start + timedelta(days=offset)
        for lead in (0, 1, 2, 6, 13, 40):
            due = filed + timedelta(days=lead)
            plain = sum(1 for n in range(1, lead + 1) if bd.is_business_day(filed + timedelta(days=n), closed))
            assert bd.lead_days(filed, due, closed) == plain, (filed, due)


def test_dates_beyond_the_table_count_weekdays_and_log(caplog):
    """Beyond the table no holiday is known: weekdays count, closed days still do not, and the
    gap is logged so the table gets refreshed. Holidays inside the table still count."""
    last = bd.holiday_table().last_year
    after = date(last + 1, 1, 1)           # 元日 of a year the table does not hold
    filed = after - timedelta(days=1)
    due = after + timedelta(days=13)
    weekdays = sum(1 for n in range(1, 15) if (filed + timedelta(days=n)).weekday() < 5)
    with caplog.at_level(logging.WARNING, logger=bd.__name__):
        assert bd.lead_days(filed, due) == weekdays
    assert any("does not cover" in record.getMessage() for record in caplog.records)
    closed = [ClosedPeriod(after, after + timedelta(days=6))]
    closed_weekdays = sum(1 for n in range(7) if (after + timedelta(days=n)).weekday() < 5)
    assert bd.lead_days(filed, due, closed) == weekdays - closed_weekdays
    # A span that starts inside the table still skips the table's holidays.
    assert bd.lead_days(date(last, 12, 30), after + timedelta(days=1)) < 4


def test_far_due_dates_are_cheap():
    assert bd.lead_days(D("2026-12-01"), D("9999-12-31")) > 2_000_000


# --- rules ----------------------------------------------------------------------------------

RULES = [UrgencyRule(2, Decimal("2.0")), UrgencyRule(5, Decimal("1.5"))]


@pytest.mark.parametrize("lead,multiplier,label", [
    (0, Decimal("2.0"), "特急(2営業日以内) ×2.0"),
    (2, Decimal("2.0"), "特急(2営業日以内) ×2.0"),
    (3, Decimal("1.5"), "特急(5営業日以内) ×1.5"),
    (5, Decimal("1.5"), "特急(5営業日以内) ×1.5"),
    (6, Decimal("1"), ""),
])
def test_the_shortest_covering_rule_applies(lead, multiplier, label):
    assert apply_rules(lead, RULES) == Urgency(lead_days=lead, multiplier=multiplier, label=label)
    assert apply_rules(lead, list(reversed(RULES))) == apply_rules(lead, RULES)


def test_no_date_or_no_rules_means_no_multiplier():
    assert apply_rules(None, RULES) == Urgency(lead_days=None, multiplier=Decimal("1"), label="")
    assert apply_rules(0, []) == Urgency(lead_days=0, multiplier=Decimal("1"), label="")


@pytest.mark.parametrize("value,text", [("2", "2.0"), ("2.0", "2.0"), ("1.50", "1.5"), ("1.25", "1.25"), ("10", "10.0")])
def test_multiplier_format(value, text):
    assert format_multiplier(Decimal(value)) == text


def test_holidays_between_lists_them_in_order():
    assert bd.holidays_between(D("2026-09-01"), D("2026-09-30")) == [
        (D("2026-09-21"), "敬老の日"), (D("2026-09-22"), "国民の休日"), (D("2026-09-23"), "秋分の日")]
    assert bd.holidays_between(D("2026-06-01"), D("2026-06-30")) == []


def test_filing_day_is_the_day_in_japan():
    from chalicelib.services.urgency import japan_date
    # 15:30 UTC on 1 December is already 2 December in Tokyo.
    assert japan_date(datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)) == D("2026-12-02")
    assert japan_date(datetime(2026, 12, 1, 14, 59, tzinfo=timezone.utc)) == D("2026-12-01")


@pytest.mark.parametrize("urgency,text", [
    (Urgency(3, Decimal("1.5"), "特急(5営業日以内) ×1.5"), "公開希望日まで3営業日: 特急料金 ×1.5 が適用されます"),
    (Urgency(0, Decimal("2.0"), "特急(2営業日以内) ×2.0"), "公開希望日まで0営業日: 特急料金 ×2.0 が適用されます"),
    (Urgency(12, Decimal("1"), ""), "公開希望日まで12営業日: 特急料金はかかりません"),
    (Urgency(None, Decimal("1"), ""), ""),
])
def test_the_hint_under_the_date(urgency, text):
    from chalicelib.services.urgency import hint
    assert hint(urgency) == text


def test_a_closed_period_ending_on_the_last_date_counts_without_overflow():
    """A closed period ending 9999-12-31 (a hostile but valid setting) and a request due that day:
    the count stops at the last date instead of stepping past date.max."""
    last = date(9999, 12, 31)
    closed = [ClosedPeriod(first=date(9999, 12, 30), last=last, name="年末")]
    assert not bd.is_business_day(last, closed)
    assert bd.lead_days(date(9999, 12, 27), last, closed) == 2  # after Mon 27: Tue 28 and Wed 29 open
