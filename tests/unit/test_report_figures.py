"""The 月次保守レポート's figures (services/reports.py), without I/O: months in Japan time, 期限内,
the median time to the first answer, what is still open at the month's end, the points."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.clock import JST
from chalicelib.models.points import LedgerEntry
from chalicelib.models.requests import Request
from chalicelib.services import pointrules as r
from chalicelib.services import reports, workflow

UTC = timezone.utc


def _request(number: int, created: datetime, *, status: str = workflow.NEW, completed: datetime | None = None,
             due: str | None = None, answered: datetime | None = None, awaiting: bool = True) -> Request:
    return Request(*Request.keys(f"R{number}"), request_id=f"R{number}", company_id="C", company_name="会社",
                   number=number, title=f"依頼{number}", body="", status=status, requester_id="u", requester_name="u",
                   created_at=created, last_activity_at=completed or created, completed_at=completed, due_date=due,
                   first_answered_at=answered, awaiting_agency=awaiting)


def _entry(kind: str, delta: int, after: int, *, request_id: str | None = None, month: str = "2026-11") -> LedgerEntry:
    return LedgerEntry.new(company_id="C", month=month, entry_kind=kind, delta_tenths=delta, balance_after_tenths=after,
                           request_id=request_id, at=datetime(2026, 11, 2, tzinfo=UTC))


def test_a_month_runs_from_midnight_to_midnight_in_japan():
    start, end = reports.month_bounds("2026-11")
    assert start == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    # 23:59 JST on 30 November is November; 00:00 JST on 1 December (15:00 UTC) is not.
    assert reports.in_month(datetime(2026, 11, 30, 14, 59, tzinfo=UTC), "2026-11")
    assert not reports.in_month(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), "2026-11")
    assert reports.in_month(datetime(2026, 10, 31, 15, 0, tzinfo=UTC), "2026-11")
    assert reports.month_bounds("2026-12")[1] == datetime(2027, 1, 1, tzinfo=JST)


def test_last_month_is_counted_in_japan():
    # 1 December 00:30 in Japan is still 30 November in UTC: the report month is November.
    assert reports.last_month(datetime(2026, 11, 30, 15, 30, tzinfo=UTC)) == "2026-11"
    assert reports.last_month(datetime(2026, 11, 30, 14, 30, tzinfo=UTC)) == "2026-10"
    assert reports.last_month(datetime(2027, 1, 5, tzinfo=UTC)) == "2026-12"


def test_on_time_is_on_or_before_the_publish_date_in_japan():
    # Completed 23:30 JST on the 10th (14:30 UTC): on time for a 公開希望日 of the 10th.
    assert reports.on_time(datetime(2026, 11, 10, 14, 30, tzinfo=UTC), "2026-11-10") is True
    # 00:30 JST on the 11th (15:30 UTC on the 10th): late.
    assert reports.on_time(datetime(2026, 11, 10, 15, 30, tzinfo=UTC), "2026-11-10") is False
    assert reports.on_time(datetime(2026, 11, 1, tzinfo=UTC), None) is None
    assert reports.on_time(None, "2026-11-10") is None


@pytest.mark.parametrize("minutes, expected", [([30], 30), ([30, 120], 75), ([10, 20, 600], 20), ([], None),
                                               ([1, 2], 2)])
def test_median_in_minutes(minutes, expected):
    assert reports.median_minutes([timedelta(minutes=m) for m in minutes]) == expected


@pytest.mark.parametrize("minutes, text", [(None, "—"), (0, "0分"), (45, "45分"), (60, "1時間"), (75, "1時間15分"),
                                           (47 * 60 + 59, "47時間59分"), (48 * 60, "2日"), (50 * 60, "2日2時間")])
def test_durations_read_as_people_say_them(minutes, text):
    assert reports.format_minutes(minutes) == text


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=JST)


def test_the_figures_of_a_month():
    month = "2026-11"
    done_on_time = _request(1, _at(3), status=workflow.DONE, completed=_at(8), due="2026-11-10",
                            answered=_at(3, 12), awaiting=False)
    done_late = _request(2, _at(5), status=workflow.DONE, completed=_at(20), due="2026-11-06",
                         answered=_at(5, 10) + timedelta(minutes=30), awaiting=False)
    open_at_end = _request(3, _at(25))
    filed_before = _request(4, datetime(2026, 10, 20, tzinfo=JST), status=workflow.IN_PROGRESS, answered=_at(1))
    completed_after = _request(5, datetime(2026, 10, 28, tzinfo=JST), status=workflow.DONE,
                               completed=datetime(2026, 12, 2, tzinfo=JST))
    next_month = _request(6, datetime(2026, 12, 1, 0, 5, tzinfo=JST))
    withdrawn = _request(7, _at(12), status=workflow.WITHDRAWN)
    # Answered before the time was kept: the agency spoke (awaiting_agency False), the time is unknown.
    unmeasured = _request(8, _at(26), status=workflow.IN_PROGRESS, awaiting=False)
    entries = [_entry(r.GRANT, 100, 100), _entry(r.CHARGE, -20, 80, request_id="R1"), _entry(r.ADJUSTMENT, 5, 85)]
    terms = r.Terms(kind=r.PREPAID_MONTHLY, points_tenths=100, carry_over=False, starts_on=date(2026, 10, 1),
                    ends_on=None)
    data = reports.figures(company_name="会社", month=month,
                           requests=[done_on_time, done_late, open_at_end, filed_before, completed_after, next_month,
                                     withdrawn, unmeasured, done_on_time],  # one request read twice counts once
                           entries=entries, opening=None, terms=terms, contract_text="前払い")
    assert [line["number"] for line in data["filed"]] == [1, 2, 3, 8]
    assert [line["number"] for line in data["completed"]] == [1, 2]
    assert [line["number"] for line in data["open_at_end"]] == [3, 4, 5, 8]
    first, second = data["completed"]
    assert (first["on_time"], first["points_tenths"], first["due_date"], first["completed_on"]) == (
        True, 20, "2026-11-10", "2026-11-08")
    assert (second["on_time"], second["points_tenths"]) == (False, None)
    assert (data["on_time_count"], data["late_count"]) == (1, 1)
    assert data["first_answer"] == {"median_minutes": 75, "answered": 2, "unanswered": 1, "unmeasured": 1}
    points = data["points"]
    assert (points["granted"], points["used"], points["expired"], points["adjusted"], points["remaining"]) == (
        100, 20, 0, 5, 85)
    assert points["expires_next"] == {"tenths": 85, "on": "2026-12-01"}


def test_a_month_without_entries_keeps_the_balance_before_it():
    before = _entry(r.GRANT, 100, 70, month="2026-10")
    data = reports.figures(company_name="会社", month="2026-11", requests=[], entries=[], opening=before, terms=None,
                           contract_text="契約なし")
    assert data["points"]["remaining"] == 70 and data["points"]["used"] == 0
    assert data["filed"] == [] and data["first_answer"]["median_minutes"] is None


@pytest.mark.parametrize("terms, expected", [
    (None, None),
    (r.Terms(r.PREPAID_MONTHLY, 100, True, date(2026, 1, 1), None), None),  # carried over: nothing expires
    (r.Terms(r.POSTPAID, 0, False, date(2026, 1, 1), None), None),
    (r.Terms(r.PREPAID_MONTHLY, 100, False, date(2026, 1, 1), None), {"tenths": 40, "on": "2026-12-01"}),
    (r.Terms(r.PREPAID_TERM, 100, False, date(2026, 4, 1), date(2027, 3, 31)), {"tenths": None, "on": "2027-04-01"}),
    (r.Terms(r.PREPAID_TERM, 100, False, date(2026, 4, 1), None), None),
    (r.Terms(r.PREPAID_TERM, 100, False, date(2025, 4, 1), date(2026, 3, 31)), None),  # ended before the month
])
def test_what_expires_next(terms, expected):
    assert reports.expires_next(terms, month="2026-11", remaining_tenths=40) == expected


def test_the_summary_says_how_many_were_not_answered_or_not_measured():
    data = {"filed": [{}] * 3, "completed": [{}], "open_at_end": [], "on_time_count": 1, "late_count": 0,
            "first_answer": {"median_minutes": 90, "answered": 1, "unanswered": 1, "unmeasured": 1}}
    pairs = dict(reports.summary_pairs(data))
    assert pairs["受付した依頼"] == "3件"
    assert pairs["完了した依頼"] == "1件(期限内 1件、期限超過 0件)"
    assert pairs["初回回答までの時間"] == "1時間30分(中央値、回答済み1件)、未回答 1件、記録前の回答 1件"
