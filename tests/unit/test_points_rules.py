"""Points arithmetic, the rounding rule, contract periods and the CSV cells: pure rules."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.services import pointrules as r


@pytest.mark.parametrize("typed,points", [("1", "1"), ("1.5", "1.5"), ("１２", "12"), ("0.1", "0.1"), ("1,000", "1000")])
def test_points_are_read_as_decimals_with_one_place(typed, points):
    assert r.parse_points(typed) == Decimal(points)


@pytest.mark.parametrize("typed,key", [("", "required"), ("abc", "points.number"), ("1.25", "points.number"),
                                       ("0", "points.positive"), ("-1", "points.positive"),
                                       ("10000", "points.too_large"), ("NaN", "points.number")])
def test_points_refused_name_their_message(typed, key):
    with pytest.raises(r.BadNumber) as refused:
        r.parse_points(typed)
    assert refused.value.key == key


def test_adjustments_may_be_negative_but_not_zero():
    assert r.parse_points("-2.5", allow_negative=True) == Decimal("-2.5")
    with pytest.raises(r.BadNumber) as refused:
        r.parse_points("0", allow_negative=True)
    assert refused.value.key == "points.nonzero"


def test_tenths_round_trip_exactly():
    assert r.to_tenths(Decimal("1.5")) == 15
    assert r.from_tenths(15) == Decimal("1.5")
    assert r.format_points(15) == "1.5" and r.format_points(120) == "12" and r.format_points(-30) == "-3"
    assert r.format_points(12345) == "1,234.5"


@pytest.mark.parametrize("subtotal,multiplier,total", [
    ("1", "1.5", "1.5"),     # 1 pt x 1.5 stays 1.5
    ("3", "1.2", "4"),       # 3.6 rounds up to 4
    ("3", "1.1", "3.5"),     # 3.3 rounds up to 3.5
    ("2.5", "1", "2.5"),     # no multiplier: unchanged
    ("0.1", "1", "0.5"),     # even without a multiplier the total is in 0.5 pt steps
    ("7", "2", "14"),
])
def test_the_multiplier_applies_to_the_subtotal_then_rounds_up_to_half_a_point(subtotal, multiplier, total):
    lines = [r.Line(name="作業", quantity=1, unit_tenths=r.to_tenths(Decimal(subtotal)))]
    totals = r.estimate_totals(lines, Decimal(multiplier))
    assert totals.subtotal_tenths == r.to_tenths(Decimal(subtotal))
    assert r.from_tenths(totals.total_tenths) == Decimal(total)


def test_an_estimate_sums_quantity_times_points():
    lines = [r.Line(name="テキスト変更", quantity=3, unit_tenths=10), r.Line(name="画像差し替え", quantity=2, unit_tenths=20),
             r.Line(name="個別", quantity=1, unit_tenths=15)]
    totals = r.estimate_totals(lines, Decimal("1.5"))
    assert totals.subtotal_tenths == 85          # 3 + 4 + 1.5 = 8.5 pt
    assert totals.total_tenths == 130            # 12.75 -> 13


def test_quantities_are_whole_numbers_in_range():
    assert r.parse_quantity("３") == 3
    for bad in ("0", "1.5", "-1", "1000", "x"):
        with pytest.raises(r.BadNumber):
            r.parse_quantity(bad)


def test_postpaid_amount_rounds_half_up_to_the_yen():
    assert r.yen_for(15, 5000) == 7500
    assert r.yen_for(1, 5) == 1   # 0.1 pt x 5 yen = 0.5 yen -> 1


def test_months():
    assert r.next_month("2026-12") == "2027-01" and r.previous_month("2027-01") == "2026-12"
    assert r.month_of(date(2026, 3, 31)) == "2026-03"
    assert r.is_month("2026-12") and not r.is_month("2026-13") and not r.is_month("12-2026") and not r.is_month("")


def monthly(carry_over=False, ends_on=None):
    return r.Terms(kind=r.PREPAID_MONTHLY, points_tenths=100, carry_over=carry_over, starts_on=date(2026, 10, 15),
                   ends_on=ends_on)


def test_a_monthly_contract_grants_on_its_start_day_and_each_first_of_the_month():
    assert r.due_postings(monthly(), posted=set(), today=date(2026, 10, 14)) == []
    first = r.due_postings(monthly(carry_over=True), posted=set(), today=date(2026, 10, 15))
    assert [(p.key, p.tenths) for p in first] == [("GRANT#2026-10", 100)]
    later = r.due_postings(monthly(carry_over=True), posted={"GRANT#2026-10"}, today=date(2026, 12, 1))
    assert [p.key for p in later] == ["GRANT#2026-11", "GRANT#2026-12"]


def test_without_carry_over_the_remainder_expires_before_the_next_grant():
    due = r.due_postings(monthly(), posted={"GRANT#2026-10"}, today=date(2026, 11, 1))
    assert [(p.key, p.kind, p.month, p.tenths) for p in due] == [
        ("EXPIRE#2026-10", r.EXPIRY, "2026-10", None), ("GRANT#2026-11", r.GRANT, "2026-11", 100)]


def test_what_was_posted_is_never_due_again():
    posted = {"GRANT#2026-10", "EXPIRE#2026-10", "GRANT#2026-11"}
    assert r.due_postings(monthly(), posted=posted, today=date(2026, 11, 30)) == []


def test_a_monthly_contract_stops_granting_after_its_end_and_the_remainder_expires():
    terms = monthly(ends_on=date(2026, 11, 30))
    due = r.due_postings(terms, posted={"GRANT#2026-10", "EXPIRE#2026-10", "GRANT#2026-11"}, today=date(2027, 1, 5))
    assert [p.key for p in due] == ["EXPIRE#2026-11"]


def test_a_term_contract_grants_once_and_expires_the_day_after_its_end():
    terms = r.Terms(kind=r.PREPAID_TERM, points_tenths=600, carry_over=False, starts_on=date(2026, 4, 1),
                    ends_on=date(2027, 3, 31))
    assert [p.key for p in r.due_postings(terms, posted=set(), today=date(2026, 4, 1))] == ["GRANT#TERM#2026-04-01"]
    assert r.due_postings(terms, posted={"GRANT#TERM#2026-04-01"}, today=date(2027, 3, 31)) == []
    due = r.due_postings(terms, posted={"GRANT#TERM#2026-04-01"}, today=date(2027, 4, 1))
    assert [(p.key, p.month) for p in due] == [("EXPIRE#TERM#2026-04-01", "2027-03")]
    kept = r.Terms(**{**terms.__dict__, "carry_over": True})
    assert r.due_postings(kept, posted={"GRANT#TERM#2026-04-01"}, today=date(2027, 5, 1)) == []


@pytest.mark.parametrize("kind", [r.POSTPAID, r.UNLIMITED])
def test_postpaid_and_unlimited_contracts_grant_nothing(kind):
    terms = r.Terms(kind=kind, points_tenths=0, carry_over=False, starts_on=date(2026, 1, 1), ends_on=None)
    assert r.due_postings(terms, posted=set(), today=date(2026, 12, 1)) == []
    assert r.due_postings(None, posted=set(), today=date(2026, 12, 1)) == []


def test_csv_is_utf8_with_bom_crlf_and_formula_safe():
    data = r.csv_bytes(["件名", "ポイント"], [["=HYPERLINK(\"x\")", Decimal("-1.5")], ["+1", 3], ["@SUM", 0],
                                             ["-2", Decimal("2")], ["普通の件名", Decimal("0.5")]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.count("\r\n") == 6 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["件名", "ポイント"]
    assert rows[1] == ["'=HYPERLINK(\"x\")", "-1.5"]  # text is defused, numbers stay numbers
    assert rows[2][0] == "'+1" and rows[3][0] == "'@SUM" and rows[4][0] == "'-2" and rows[5] == ["普通の件名", "0.5"]
