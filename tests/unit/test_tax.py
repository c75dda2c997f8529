"""消費税 per rate per invoice (services/tax.py): one rounding per rate, by the agency's setting."""
from decimal import Decimal

import pytest

from chalicelib.services import tax


@pytest.mark.parametrize("rounding, expected", [(tax.FLOOR, 1234), (tax.HALF_UP, 1235), (tax.CEILING, 1235)])
def test_the_tax_of_one_rate_is_rounded_by_the_setting(rounding, expected):
    totals = tax.totals([(12_345, 10)], rounding)  # 1,234.5 yen of tax
    assert totals.tax == expected
    assert totals.total == 12_345 + expected


def test_half_up_rounds_down_below_the_half():
    assert tax.totals([(12_344, 10)], tax.HALF_UP).tax == 1234  # 1,234.4


def test_ceiling_rounds_up_any_fraction_and_leaves_whole_yen_alone():
    assert tax.totals([(12_341, 10)], tax.CEILING).tax == 1235   # 1,234.1
    assert tax.totals([(12_340, 10)], tax.CEILING).tax == 1234   # exactly 1,234


def test_the_tax_is_rounded_once_per_rate_not_per_line():
    # Three lines of 105 yen: 10.5 yen of tax each. Rounded per line (切り捨て) that would be
    # 10 + 10 + 10 = 30; the invoice's rule rounds the rate's 31.5 once: 31.
    lines = [(105, 10), (105, 10), (105, 10)]
    per_line = sum(tax.round_yen(Decimal(amount) * rate / 100, tax.FLOOR) for amount, rate in lines)
    assert per_line == 30
    totals = tax.totals(lines, tax.FLOOR)
    assert totals.tax == 31
    assert totals.subtotal == 315 and totals.total == 346


def test_each_rate_has_its_own_subtotal_and_tax_highest_rate_first():
    totals = tax.totals([(1_000, 8), (50_000, 10), (999, 8), (3_333, 10)], tax.FLOOR)
    assert [(r.rate, r.subtotal, r.tax) for r in totals.rates] == [(10, 53_333, 5_333), (8, 1_999, 159)]
    assert totals.subtotal == 55_332 and totals.tax == 5_492 and totals.total == 60_824


def test_a_discount_line_lowers_the_rate_subtotal_before_the_tax():
    totals = tax.totals([(50_000, 10), (-5_005, 10)], tax.FLOOR)
    assert totals.subtotal == 44_995 and totals.tax == 4_499


def test_a_negative_amount_rounds_by_its_size():
    assert tax.round_yen(Decimal("-10.5"), tax.FLOOR) == -10
    assert tax.round_yen(Decimal("-10.5"), tax.CEILING) == -11
    assert tax.round_yen(Decimal("-10.5"), tax.HALF_UP) == -11


def test_a_line_is_quantity_times_unit_price_half_up_to_the_yen():
    assert tax.line_amount(Decimal("12.5"), 3_000) == 37_500
    assert tax.line_amount(Decimal("0.5"), 3_333) == 1_667   # 1,666.5
    assert tax.line_amount(Decimal("1"), -5_000) == -5_000


def test_no_lines_is_zero():
    totals = tax.totals([], tax.HALF_UP)
    assert totals.rates == () and totals.total == 0
