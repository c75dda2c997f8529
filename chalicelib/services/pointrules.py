"""Points arithmetic and contract periods. Pure: no I/O, unit-tested on their own.

Points are kept as integer tenths of a point (``tenths``) wherever they are stored, because
PynamoDB's NumberAttribute reads numbers back as float; Decimal is used for everything between.

Rounding rule (stated on the ポイント表 and in the README): an estimate's subtotal is the sum of
quantity x points of its items; the urgency multiplier applies to the subtotal, and the result is
rounded UP to the next 0.5 pt (1 pt x 1.5 = 1.5 pt; 3 pt x 1.2 = 3.6 -> 4 pt).
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

TENTH = Decimal("0.1")
HALF = Decimal("0.5")
POINTS_MAX = Decimal("9999")
QUANTITY_MAX = 999

# Contract kinds (契約の種類).
PREPAID_MONTHLY = "prepaid_monthly"  # 月ごとの前払いポイント
PREPAID_TERM = "prepaid_term"        # 期間ごとの前払いポイント
POSTPAID = "postpaid"                # 後払い(月末に単価で請求)
UNLIMITED = "unlimited"              # 無制限
KINDS = (PREPAID_MONTHLY, PREPAID_TERM, POSTPAID, UNLIMITED)
PREPAID = (PREPAID_MONTHLY, PREPAID_TERM)

# Ledger entry kinds (ポイント履歴).
GRANT, TOPUP, CHARGE, ADJUSTMENT, EXPIRY = "grant", "topup", "charge", "adjustment", "expiry"


class BadNumber(ValueError):
    """The text is not a number the form accepts; ``key`` names the message."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def parse_points(raw: str, *, allow_negative: bool = False, allow_zero: bool = False) -> Decimal:
    """Points as typed (full-width digits allowed, at most one decimal place). Raises BadNumber."""
    text = unicodedata.normalize("NFKC", raw or "").strip().replace(",", "")
    if not text:
        raise BadNumber("required")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadNumber("points.number") from None
    if not value.is_finite() or value != value.quantize(TENTH):
        raise BadNumber("points.number")
    if value < 0 and not allow_negative:
        raise BadNumber("points.positive")
    if value == 0 and not allow_zero:
        raise BadNumber("points.positive" if not allow_negative else "points.nonzero")
    if abs(value) > POINTS_MAX:
        raise BadNumber("points.too_large")
    return value


def parse_quantity(raw: str) -> int:
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= QUANTITY_MAX:
        raise BadNumber("points.quantity")
    return int(text)


def to_tenths(points: Decimal) -> int:
    return int((points / TENTH).to_integral_value())


def from_tenths(tenths: int | float) -> Decimal:
    return (Decimal(int(tenths)) * TENTH).quantize(TENTH)


def format_points(tenths: int | float) -> str:
    """"12", "1.5", "-3": no trailing .0, for people."""
    value = from_tenths(tenths)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


def round_up_half(points: Decimal) -> Decimal:
    return (points / HALF).to_integral_value(rounding=ROUND_CEILING) * HALF


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    unit_tenths: int
    menu_item_id: str = ""  # "" for a free-form item

    @property
    def line_tenths(self) -> int:
        return self.quantity * self.unit_tenths


@dataclass(frozen=True)
class Totals:
    subtotal_tenths: int
    multiplier: Decimal
    total_tenths: int


def estimate_totals(lines: list[Line], multiplier: Decimal) -> Totals:
    """Subtotal, then the multiplier, then rounded up to 0.5 pt (see the module's rule)."""
    subtotal = sum(line.line_tenths for line in lines)
    total = round_up_half(from_tenths(subtotal) * multiplier)
    return Totals(subtotal_tenths=subtotal, multiplier=multiplier, total_tenths=to_tenths(total))


def format_multiplier(multiplier: Decimal, *, plain: bool = False) -> str:
    """A multiplier as an estimate shows it: "×1.5", "×1.25", a whole one bare ("×2").

    ``plain``: as the 特急料金 rules store and show it, without the sign and with at least one
    decimal place ("2.0", "1.5", "1.25"); the rule labels and hints put "×" before it themselves.
    """
    if plain:
        text = format(multiplier.normalize(), "f")
        return text if "." in text else text + ".0"
    return f"×{multiplier.normalize():f}" if multiplier != multiplier.to_integral_value() else f"×{int(multiplier)}"


def yen_for(usage_tenths: int, unit_price: int) -> int:
    """What postpaid usage costs: points x unit price, rounded half up to the yen."""
    return int((from_tenths(usage_tenths) * unit_price).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# Months and contract periods.

def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def is_month(text: str) -> bool:
    return (len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()
            and 1 <= int(text[5:]) <= 12 and int(text[:4]) >= 2000)


@dataclass(frozen=True)
class Terms:
    """What the settlement needs of a contract version."""

    kind: str
    points_tenths: int
    carry_over: bool
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True)
class Posting:
    """A grant or an expiry the contract makes due. ``key`` makes it happen once per company;
    ``tenths`` None means "whatever remains" (an expiry). ``month`` is the month it belongs to."""

    key: str
    kind: str
    month: str
    tenths: int | None


def due_postings(terms: Terms | None, *, posted: set[str], today: date) -> list[Posting]:
    """The grants and expiries due by ``today`` that are not in ``posted``, oldest first.

    Per month: a monthly grant on the first day of each month of the contract (the starting month
    gets its grant on the start date, in full); without carry-over the previous month's remainder
    expires just before. Per term: one grant on the start date; without carry-over the remainder
    expires the day after the end date. Keys name months or start dates, not contract versions,
    so a revised contract never grants a month or a term twice.
    """
    if terms is None or terms.kind not in PREPAID or today < terms.starts_on:
        return []
    due: list[Posting] = []
    if terms.kind == PREPAID_TERM:
        start = terms.starts_on.isoformat()
        due.append(Posting(f"GRANT#TERM#{start}", GRANT, month_of(terms.starts_on), terms.points_tenths))
        if not terms.carry_over and terms.ends_on is not None and today > terms.ends_on:
            due.append(Posting(f"EXPIRE#TERM#{start}", EXPIRY, month_of(terms.ends_on), None))
        return [p for p in due if p.key not in posted]
    last = month_of(today if terms.ends_on is None or today <= terms.ends_on else terms.ends_on)
    month = month_of(terms.starts_on)
    granted = {key for key in posted if key.startswith("GRANT#") and not key.startswith("GRANT#TERM#")}
    while month <= last:
        before = previous_month(month)
        if not terms.carry_over and f"GRANT#{before}" in granted | {p.key for p in due}:
            due.append(Posting(f"EXPIRE#{before}", EXPIRY, before, None))
        due.append(Posting(f"GRANT#{month}", GRANT, month, terms.points_tenths))
        month = next_month(month)
    if not terms.carry_over and terms.ends_on is not None and today > terms.ends_on:
        due.append(Posting(f"EXPIRE#{month_of(terms.ends_on)}", EXPIRY, month_of(terms.ends_on), None))
    seen: set[str] = set()
    result = []
    for posting in due:
        if posting.key not in posted and posting.key not in seen:
            seen.add(posting.key)
            result.append(posting)
    return result


# CSV (月次明細).

_FORMULA_CHARS = ("=", "+", "-", "@")


def _formula_start(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (or a DDE call): it starts with a tab,
    CR or LF, or its NFKC form (full-width ＝ ＋ － ＠, small and superscript forms fold to the ASCII
    ones) starts with = + - @ after any whitespace, controls and invisible format characters,
    which spreadsheets skip or users cannot see."""
    if text.startswith(("\t", "\r", "\n")):
        return True
    for c in text:
        if c.isspace() or unicodedata.category(c) in ("Cc", "Cf"):
            continue
        return unicodedata.normalize("NFKC", c).startswith(_FORMULA_CHARS)
    return False


def safe_cell(value: object) -> str:
    """A cell Excel will not run as a formula: text that could start one (see _formula_start) gets a
    leading apostrophe. Numbers are written as numbers by the caller, never through here."""
    text = str(value)
    return "'" + text if _formula_start(text) else text


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    """UTF-8 with BOM (Excel opens it as UTF-8) and CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell if isinstance(cell, (int, Decimal)) else safe_cell(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
