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
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

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


# What people type as numbers. Python's own readers accept far more than a form means:
# str.isdigit() is true for "²" (which int() then refuses), int() and Decimal() read "٣" and
# "1_000", Decimal() reads "1e3", "NaN" and "Infinity". Every number typed into a form or sent
# in a hidden field is read here instead, by a grammar of ASCII digits.

# Full-width ASCII (U+FF01..U+FF5E: "１２．５", "－３") as Japanese keyboards type it; the only
# width normalisation numbers, dates and months get (NFKC would also turn "²" and "①" into digits).
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# Surrounding spaces people type: ASCII space, tab and the ideographic space.
_SPACES = " \t\u3000"
# Digits, optionally grouped by thousands ("1,000"), an optional sign and fraction.
_POINTS = re.compile(r"[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?(?:\.[0-9]*)?")
_DIGITS = re.compile(r"[0-9]+")
# Longer than any number a form takes; refused before a reader spends time on it.
NUMBER_TEXT_MAX = 40
WHOLE_DIGITS_MAX = 18


def ascii_width(raw: str | None) -> str:
    """``raw`` with full-width ASCII made half-width and surrounding spaces dropped; nothing else
    changes (other digits, separators and controls stay, for the grammar to refuse)."""
    return (raw or "").translate(_FULL_WIDTH).strip(_SPACES)


def parse_points(raw: str, *, allow_negative: bool = False, allow_zero: bool = False) -> Decimal:
    """Points as typed: ASCII or full-width digits, an optional sign, thousands separated by
    commas or not ("1,000"), at most one decimal place ("1.5", ".5", "1.50"). Nothing else: no
    exponent, NaN, Infinity or other scripts' digits. "-0" is zero. Raises BadNumber."""
    text = ascii_width(raw)
    if not text:
        raise BadNumber("required")
    if len(text) > NUMBER_TEXT_MAX or not _POINTS.fullmatch(text) or not any(c.isdigit() for c in text):
        raise BadNumber("points.number")
    value = Decimal(text.replace(",", ""))
    # The size first: quantize() raises InvalidOperation beyond 28 significant digits.
    if abs(value) > POINTS_MAX:
        raise BadNumber("points.too_large")
    if value != value.quantize(TENTH):
        raise BadNumber("points.number")
    if value == 0:
        value = Decimal(0)  # "-0" and "0.0" are 0
    if value < 0 and not allow_negative:
        raise BadNumber("points.positive")
    if value == 0 and not allow_zero:
        raise BadNumber("points.positive" if not allow_negative else "points.nonzero")
    return value


def parse_whole(raw: str | None) -> int | None:
    """A non-negative integer of ASCII (or full-width) digits, at most WHOLE_DIGITS_MAX of them;
    None for anything else (a sign, a point, an exponent, other scripts' digits, blank)."""
    text = ascii_width(raw)
    if len(text) > WHOLE_DIGITS_MAX or not _DIGITS.fullmatch(text):
        return None
    return int(text)


_GROUPED = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


def parse_amount(raw: str | None) -> int | None:
    """An amount of yen as typed: like parse_whole, thousands separated by commas or not
    ("5,000"); None for anything else."""
    text = ascii_width(raw)
    if len(text) > NUMBER_TEXT_MAX or not _GROUPED.fullmatch(text):
        return None
    return parse_whole(text.replace(",", ""))


def parse_decimal(raw: str | None) -> Decimal | None:
    """An unsigned decimal as typed ("1.5", "2", ".25"; ASCII or full-width digits); None for
    anything else (no exponent, NaN, Infinity or other scripts' digits)."""
    text = ascii_width(raw)
    if len(text) > NUMBER_TEXT_MAX or not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


def parse_quantity(raw: str) -> int:
    """A quantity from 1 to QUANTITY_MAX in ASCII or full-width digits. Raises BadNumber."""
    number = parse_whole(raw)
    if number is None or not 1 <= number <= QUANTITY_MAX:
        raise BadNumber("points.quantity")
    return number


def to_tenths(points: Decimal) -> int:
    return int((points / TENTH).to_integral_value())


def from_tenths(tenths: int | float) -> Decimal:
    return (Decimal(int(tenths)) * TENTH).quantize(TENTH)


def format_points(tenths: int | float) -> str:
    """"12", "1.5", "-3": no trailing .0, for people."""
    value = from_tenths(tenths)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


def csv_points(tenths: int | float) -> int | Decimal:
    """Points as a CSV cell, written as the screen writes them ("10", "2.5", "-4": no ".0") but
    without the thousands separator, so a spreadsheet still reads a number."""
    value = from_tenths(tenths)
    return int(value) if value == value.to_integral_value() else value


def round_up_half(points: Decimal) -> Decimal:
    return (points / HALF).to_integral_value(rounding=ROUND_CEILING) * HALF


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    unit_tenths: int
    menu_item_id: str = ""  # "" for a free-form item
    note: str = ""          # tells two lines of one item apart

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


_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")


def is_month(text: str) -> bool:
    """``YYYY-MM`` in ASCII digits exactly, a real month of a year from 2000. Months come from
    ``<input type="month">`` and the pages' links, never typed, so no other width is read."""
    found = _MONTH.fullmatch(text or "")
    return bool(found) and 1 <= int(found["month"]) <= 12 and int(found["year"]) >= 2000


def month_label(month: str) -> str:
    """``YYYY-MM`` as people read it: "2026年12月"."""
    return f"{int(month[:4])}年{int(month[5:7])}月"


# Notes of grants and expiries were once stored with the bare month ("2026-12 分の付与"); the
# screens and the CSV read them as months are written everywhere else.
_OLD_MONTH_NOTE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2}) 分")


def readable_note(note: str) -> str:
    """A ledger entry's note as shown: a leading ``YYYY-MM 分`` becomes "2026年12月分"."""
    found = _OLD_MONTH_NOTE.match(note or "")
    if not found or not is_month(f"{found['year']}-{found['month']}"):
        return note or ""
    return month_label(f"{found['year']}-{found['month']}") + "分" + note[found.end():]


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
