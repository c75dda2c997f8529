"""消費税 on an invoice, as the qualified-invoice rules (適格請求書) ask: pure functions, no I/O.

Each line carries its own tax rate (10 % is the only one this trade uses today; a reduced 8 % line
would need no migration). The tax is computed once per rate per invoice, on the sum of that
rate's lines, and rounded once by the agency's setting; never per line, where the roundings would
add up to a different figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

STANDARD_RATE = 10  # percent
REDUCED_RATE = 8    # 軽減税率 (food and newspapers): not this trade's, but a line may carry it
RATES = (STANDARD_RATE, REDUCED_RATE)

FLOOR, HALF_UP, CEILING = "floor", "half_up", "ceiling"
ROUNDINGS = {FLOOR: ROUND_FLOOR, HALF_UP: ROUND_HALF_UP, CEILING: ROUND_CEILING}


def round_yen(value: Decimal, rounding: str) -> int:
    """``value`` to a whole yen by ``rounding``; a negative amount (a refund) is rounded as its
    size is, so 切り捨て of -10.5 is -10, not -11."""
    mode = ROUNDINGS[rounding]
    if value < 0:
        mode = {ROUND_FLOOR: ROUND_CEILING, ROUND_CEILING: ROUND_FLOOR}.get(mode, mode)
    return int(value.quantize(Decimal("1"), rounding=mode))


def line_amount(quantity: Decimal, unit_price: int) -> int:
    """One line's amount (tax excluded): quantity x unit price, half up to the yen (a quantity of
    12.5 pt at 3,333 yen)."""
    return int((quantity * unit_price).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class RateTotal:
    rate: int        # percent
    subtotal: int    # the rate's lines, tax excluded
    tax: int

    @property
    def total(self) -> int:
        return self.subtotal + self.tax


@dataclass(frozen=True)
class Totals:
    rates: tuple[RateTotal, ...]  # highest rate first

    @property
    def subtotal(self) -> int:
        return sum(rate.subtotal for rate in self.rates)

    @property
    def tax(self) -> int:
        return sum(rate.tax for rate in self.rates)

    @property
    def total(self) -> int:
        return self.subtotal + self.tax


def totals(lines: list[tuple[int, int]], rounding: str) -> Totals:
    """The invoice's totals from its lines, each ``(amount tax excluded, rate percent)``: per rate
    the sum of its lines and the tax on that sum, rounded once."""
    by_rate: dict[int, int] = {}
    for amount, rate in lines:
        by_rate[rate] = by_rate.get(rate, 0) + amount
    return Totals(tuple(RateTotal(rate=rate, subtotal=subtotal, tax=round_yen(Decimal(subtotal) * rate / 100, rounding))
                        for rate, subtotal in sorted(by_rate.items(), reverse=True)))
