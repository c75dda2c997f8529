"""What people type as numbers, dates and months: one grammar each, ASCII digits only (full-width
digits read as their ASCII twins), everything else refused with the field's message. Pure rules."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.services import pointrules as r
from chalicelib.services import validation as v
from tests.support.hostile import VALUES

# Digits Python calls digits (str.isdigit, int(), Decimal()) that nobody types as a number.
UNICODE_DIGITS = ["²", "٣", "①", "1²", "²5", "٣٣", "١٢", "𝟙"]


@pytest.mark.parametrize("typed", UNICODE_DIGITS + ["1e3", "1E3", "NaN", "sNaN", "Infinity", "-Infinity", "inf",
                                                    "1" * 29, "1" * 40, "9" * 5000, "1_000", "0x10", "1,0",
                                                    ",5", "1,00,0", "1.2.3", "--1", "1-", "\x001", "1\u2028"])
def test_points_refuse_anything_but_a_plain_decimal(typed):
    with pytest.raises(r.BadNumber):
        r.parse_points(typed, allow_negative=True, allow_zero=True)


@pytest.mark.parametrize("typed,points", [("1", "1"), ("１２．５", "12.5"), ("1,234.5", "1234.5"), ("9,999", "9999"),
                                          (".5", "0.5"), ("+3", "3"), (" 7 ", "7"), ("1.50", "1.5")])
def test_points_accept_what_they_document(typed, points):
    assert r.parse_points(typed) == Decimal(points)


def test_a_negative_zero_is_zero_or_refused():
    with pytest.raises(r.BadNumber) as refused:
        r.parse_points("-0", allow_negative=True)
    assert refused.value.key == "points.nonzero"
    assert str(r.parse_points("-0", allow_negative=True, allow_zero=True)) == "0"


def test_huge_points_say_too_large_instead_of_crashing():
    for typed in ("1" * 29, "1" * 40, "-" + "9" * 30):
        with pytest.raises(r.BadNumber) as refused:
            r.parse_points(typed, allow_negative=True)
        assert refused.value.key in ("points.too_large", "points.number")


@pytest.mark.parametrize("typed", UNICODE_DIGITS + ["1e2", "+1", "-1", "1.0", "9" * 5000, "1 2"])
def test_quantities_are_ascii_digits(typed):
    with pytest.raises(r.BadNumber):
        r.parse_quantity(typed)


def test_full_width_quantities_still_read():
    assert r.parse_quantity("１２") == 12 and r.parse_quantity(" 3 ") == 3


@pytest.mark.parametrize("raw", UNICODE_DIGITS + ["", "-1", "+1", "1e3", "1 2", "1.0", "True", "9" * 5000, "1" * 40])
def test_whole_numbers_of_hidden_fields_are_ascii_digits(raw):
    assert v.whole_number(raw) is None
    assert v.whole_number(raw, -1) == -1


def test_whole_numbers():
    assert v.whole_number("0") == 0 and v.whole_number("12") == 12 and v.whole_number("１２") == 12


@pytest.mark.parametrize("name,index", [("qty_3", 3), ("menu_0", 0), ("points_12", 12), ("qty_²", None),
                                        ("menu_٣", None), ("name_①", None), ("qty_", None), ("qty_-1", None),
                                        ("qty_1e3", None), ("qty_" + "9" * 5000, None), ("other_1", None),
                                        ("qty_１", None)])
def test_estimate_row_names(name, index):
    assert v.row_index(name, ("menu", "qty", "name", "points")) == index


@pytest.mark.parametrize("raw", UNICODE_DIGITS + ["2026-13", "2026-00", "0000-00", "2026-1", "202612", "2026-12-01",
                                                 "２０２６-１２", "2026-²1", "²026-01", "2026-0٣", "2026-W05",
                                                 "1999-12", "2026-12\n", " 2026-12"])
def test_months_are_yyyy_mm(raw):
    assert not r.is_month(raw)
    errors = {}
    assert v.month(errors, "month", raw) is None and errors["month"]


def test_a_real_month():
    assert r.is_month("2026-12") and v.month({}, "month", "2026-01") == "2026-01"


@pytest.mark.parametrize("raw", ["20270105", "2026-W05-3", "2026-028", "2026-01-05T00:00", "0000-00-00", "2026-13-01",
                                 "２⁰２６-０１-０５", "2026-01-0٥", "2026-1-5", "+2026-01-05"])
def test_dates_are_yyyy_mm_dd(raw):
    errors = {}
    assert v.iso_date(errors, "due_date", raw) is None and errors["due_date"]


@pytest.mark.parametrize("raw,day", [("2026-12-24", "2026-12-24"), ("2026/12/24", "2026-12-24"),
                                     ("２０２６－１２－２４", "2026-12-24"), ("9999-12-31", "9999-12-31")])
def test_dates_as_typed(raw, day):
    assert v.iso_date({}, "due_date", raw).isoformat() == day


def test_no_hostile_value_crashes_a_parser():
    """Every value of the shared corpus, in every parser: a value or a refusal, never an exception."""
    for _, value in VALUES:
        try:
            r.parse_points(value, allow_negative=True)
        except r.BadNumber:
            pass
        try:
            r.parse_quantity(value)
        except r.BadNumber:
            pass
        v.whole_number(value)
        v.row_index("qty_" + value, ("qty",))
        r.is_month(value)
        v.iso_date({}, "d", value)
        v.month({}, "m", value)


@pytest.mark.parametrize("raw,expected", [("5000", 5000), ("5,000", 5000), ("５，０００", 5000), ("5,0,0", None),
                                          ("²", None), ("٣", None), ("1e3", None), ("-5", None), ("5.0", None),
                                          ("9" * 40, None), ("", None)])
def test_amounts(raw, expected):
    assert v.amount(raw) == expected


@pytest.mark.parametrize("raw,expected", [("1.5", Decimal("1.5")), ("２", Decimal("2")), (".25", Decimal(".25")),
                                          ("1e0", None), ("NaN", None), ("Infinity", None), ("²", None), ("١.٥", None),
                                          ("-1.5", None), ("1" * 41, None)])
def test_decimals(raw, expected):
    assert v.decimal_number(raw) == expected
