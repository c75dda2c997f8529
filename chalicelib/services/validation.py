"""Checking and normalising what people type into forms and JSON bodies. Pure functions.

One error style everywhere: each function records a refusal as a message from the catalogue in
a ``FieldErrors`` (or plain) dict of field -> message, so a form shows all of them at once, and
returns the normalised value; the service then raises ``Invalid(errors)``. Text (required,
length, single line, markup), dates (ISO date, month ``YYYY-MM``), points and quantities, and the
account and company fields (``clean_*``) all live here.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from chalicelib.messages import t
from chalicelib.services import pointrules

USER_ID = re.compile(r"^[A-Za-z0-9]{5,32}$")
# Full-width katakana, the long-vowel mark, middle dot and spaces.
KANA = re.compile(r"^[\u30A1-\u30FA\u30FC\u30FB\u3000 ]+$")
PHONE = re.compile(r"^[0-9]+(?:-[0-9]+)*$")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
NAME_MAX = 50
COMPANY_MAX = 100


class FieldErrors(dict):
    """field -> message; ``check`` records a message when a condition fails."""

    def check(self, field: str, ok: bool, key: str, **params: object) -> bool:
        if not ok and field not in self:
            self[field] = t(key, **params)
        return ok


def normalise_width(value: str) -> str:
    """Full-width letters and digits to half-width, half-width katakana to full-width (NFKC)."""
    return unicodedata.normalize("NFKC", value).strip()


def to_katakana(value: str) -> str:
    """Hiragana to katakana, half-width katakana to full-width; spaces kept."""
    value = unicodedata.normalize("NFKC", value).strip()
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in value)


def typed_user_id(raw: str) -> str:
    """A user ID as typed, read the one way sign-in and the account form both read it: widths
    folded (NFKC) and trimmed. Case is folded by the account's keys (models.users)."""
    return normalise_width(raw)


def clean_user_id(raw: str, errors: FieldErrors) -> str:
    value = typed_user_id(raw)
    if errors.check("user_id", bool(value), "required"):
        errors.check("user_id", bool(USER_ID.match(value)), "account.user_id_format")
    return value


def clean_name(raw: str, errors: FieldErrors) -> str:
    return clean_line(raw, errors, "name", maximum=NAME_MAX)


def clean_kana(raw: str, errors: FieldErrors) -> str:
    value = one_line(to_katakana(raw))
    if errors.check("kana", bool(value), "required") and errors.check("kana", not has_line_break(raw.strip()),
                                                                      "single_line"):
        if errors.check("kana", bool(KANA.match(value)), "account.kana_format"):
            errors.check("kana", len(value) <= NAME_MAX, "too_long", max=NAME_MAX)
    return value


def clean_phone(raw: str, errors: FieldErrors) -> str:
    value = normalise_width(raw).replace("ー", "-").replace("−", "-").replace(" ", "")
    if errors.check("phone", bool(value), "required"):
        digits = value.replace("-", "")
        errors.check("phone", bool(PHONE.match(value)) and 6 <= len(digits) <= 15, "account.phone_format")
    return value


def clean_email(raw: str, errors: FieldErrors) -> str:
    value = normalise_width(raw)
    if errors.check("email", bool(value), "required"):
        errors.check("email", len(value) <= 254 and bool(EMAIL.match(value)), "account.email_format")
    return value


COLOUR = re.compile(r"#?([0-9a-f]{3}|[0-9a-f]{6})")
# WCAG 2's contrast ratio for normal text: the mail's white heading must stay readable on the colour.
MIN_CONTRAST_WITH_WHITE = 4.5


def clean_colour(raw: str, field: str, errors: FieldErrors) -> str:
    """A colour as "#rrggbb" (also taken: "#rgb", without "#", full-width, upper case), refused
    when white text on it would fall below WCAG's contrast ratio for text."""
    match = COLOUR.fullmatch(normalise_width(raw).lower())
    if not errors.check(field, bool(match), "settings.colour_format"):
        return raw.strip()
    digits = match.group(1)
    value = "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))
    errors.check(field, contrast_with_white(value) >= MIN_CONTRAST_WITH_WHITE, "settings.colour_light")
    return value


def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of white against ``colour`` ("#rrggbb"): from 1 (white) to 21 (black)."""
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def clean_company_name(raw: str, errors: FieldErrors) -> str:
    return clean_line(raw, errors, "name", maximum=COMPANY_MAX)


# --- characters: one cleaner for single-line fields, one for multi-line text ---------------------
#
# What each class of character becomes, and why (a person must never lose visible text silently):
#
# - Line breaks: every one ``str.splitlines()`` knows (LF, CR, VT, FF, U+001C-U+001E, U+0085,
#   U+2028, U+2029). In a single-line field they are REFUSED where a person typed the text
#   (``clean_line``, ``text(single_line=True)``): joining the lines silently could merge what the
#   person meant apart, and the message says an invisible line break may have come with a paste.
#   ``one_line`` itself turns each into a space, for values nobody can be asked about (file names,
#   画面メモ notes, mail headers built from stored text). Multi-line text keeps them as LF.
# - Other controls (Cc: NUL, C0, DEL, C1) and lone surrogates (Cs, from JSON "\ud800"): DROPPED.
#   Nobody can see or deliberately type them, so nothing visible is lost; kept, they break mail
#   headers, the UTF-8 encoding of a mail or a CSV. Tab is whitespace (below).
# - Format characters (Cf): DROPPED. Bidi embeddings, overrides and isolates (U+202A-U+202E,
#   U+2066-U+2069) and marks (U+200E, U+200F, U+061C) make a title or a file name show another
#   order than it holds ("請求書\u202eFDP.exe"); zero-width spaces, word joiners, soft hyphens and
#   a pasted BOM (U+FEFF) are invisible and hide markup or duplicates. Japanese text needs none of
#   them. Kept: U+200D ZERO WIDTH JOINER between a symbol and an emoji (family and profession
#   emoji), and tag characters right after U+1F3F4 (subdivision flags), where they are part of
#   one visible character. Variation selectors, including the ideographic ones of 異体字 names
#   (U+E0100...), are marks (Mn), not Cf, and stay.
# - Whitespace (U+3000, U+00A0, U+2003..., tab): in a single-line field each run becomes one
#   space and the ends are stripped; multi-line text keeps it as typed.
# - Everything is NFC (macOS sends NFD file names; the same text then compares and searches equal).

# What str.splitlines() splits on.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ZWJ = "\u200d"
_BLACK_FLAG = "\U0001F3F4"
_SPACES = re.compile(r" {2,}")


def has_line_break(value: str) -> bool:
    """Whether ``value`` holds any line break ``str.splitlines()`` knows."""
    return any(c in _LINE_BREAKS for c in value)


def _kept_format(value: str, i: int) -> bool:
    """Whether the format character at ``value[i]`` is part of an emoji sequence."""
    c = value[i]
    if c == _ZWJ:
        before = value[i - 1] if i else ""
        after = value[i + 1] if i + 1 < len(value) else ""
        return bool(before and after) and unicodedata.category(after) == "So" \
            and unicodedata.category(before) in ("So", "Sk", "Mn")
    if "\U000E0020" <= c <= "\U000E007F":  # tag characters, only in a flag sequence
        j = i
        while j and "\U000E0020" <= value[j - 1] <= "\U000E007F":
            j -= 1
        return j > 0 and value[j - 1] == _BLACK_FLAG
    return False


def _characters(value: str, *, line_break: str, space: str | None) -> str:
    """``value`` in NFC with controls, surrogates and format characters dropped, each line break
    (CRLF counting as one) replaced by ``line_break`` and, when ``space`` is given, every other
    whitespace character by it."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    out = []
    for i, c in enumerate(value):
        if c in _LINE_BREAKS:
            out.append(line_break)
        elif c == "\t" or (c.isspace() and space is not None):
            out.append(space if space is not None else c)
        else:
            category = unicodedata.category(c)
            if category in ("Cc", "Cs") or (category == "Cf" and not _kept_format(value, i)):
                continue
            out.append(c)
    return "".join(out)


def one_line(value: str) -> str:
    """The single-line form of ``value``: line breaks and whitespace become one space, controls and
    format characters go (see above), the ends are stripped. Never fails; safe in a mail header."""
    return _SPACES.sub(" ", _characters(value, line_break=" ", space=" ")).strip()


def multi_line(value: str) -> str:
    """Multi-line text as stored: every line break becomes LF, controls other than tab and LF and
    format characters go (see above); spaces and the ends are kept."""
    return _characters(value, line_break="\n", space=None)


def clean_line(raw: str, errors: FieldErrors, field: str, *, maximum: int, required: bool = True,
               line_message: str = "single_line") -> str:
    """A single-line field (a name, a company or sender name): ``one_line``, refused when blank
    (if ``required``), longer than ``maximum`` or holding a line break (``line_message``)."""
    value = one_line(raw)
    if not value:
        errors.check(field, not required, "required")
    elif errors.check(field, not has_line_break(raw.strip()), line_message):
        errors.check(field, len(value) <= maximum, "too_long", max=maximum)
    return value


# --- free text ---------------------------------------------------------------------------------

# What a browser would read as markup: "<" directly followed by a tag name (closed by ">"), an end
# tag, a comment or declaration, a processing instruction, or the start of a dangerous element
# even when left unclosed. "A > B", "x < y", "1<2" and "<注意>" are text.
_MARKUP = re.compile(
    r"<[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|</[A-Za-z]|<!|<\?"
    r"|<(?:script|style|iframe|object|embed|svg|img|a|link|meta|form|input)\b",
    re.IGNORECASE,
)


def contains_markup(text: str) -> bool:
    return bool(_MARKUP.search(text))


def text(errors: dict, name: str, raw: str, *, maximum: int, required: bool = True, single_line: bool = False,
         as_typed: bool = False, markup: str = "request.markup", line_message: str = "single_line") -> str:
    """Free text, cleaned and stripped; markup refused (message key ``markup``).

    ``single_line``: cleaned by ``one_line`` and refused (``line_message``) when it holds any line
    break; otherwise multi-line, cleaned by ``multi_line``. What is returned is what may be stored.

    ``as_typed``: the length and line checks look at the text as typed, surrounding spaces
    and line breaks included (the request and comment forms, whose ``maxlength`` counts them);
    otherwise at the stripped text (the points forms). Both stay as they were when the two helpers
    became this one, so no form refuses what it accepted before. Markup is looked for in the typed
    and in the cleaned text, so a dropped invisible character cannot join a tag together.
    """
    value = one_line(raw) if single_line else multi_line(raw).strip()
    checked = raw if as_typed else raw.strip()
    if not value:
        if required:
            errors[name] = t("required")
    elif len(checked if as_typed else value) > maximum:
        errors[name] = t("too_long", max=maximum)
    elif single_line and has_line_break(checked):
        errors[name] = t(line_message)
    elif contains_markup(checked) or contains_markup(value):
        errors[name] = t(markup)
    return value


# --- dates -------------------------------------------------------------------------------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(raw: str) -> date | None:
    """A date as ``YYYY-MM-DD`` (full-width digits and "2026/12/24" allowed); None when blank.
    Raises ValueError for anything else: Python 3.11's ``date.fromisoformat`` alone would also
    read "20270105" and the week date "2026-W05-3"."""
    value = pointrules.ascii_width(raw).replace("/", "-")
    if not value:
        return None
    if not _DATE.fullmatch(value):
        raise ValueError(f"not a YYYY-MM-DD date: {value!r}")
    return date.fromisoformat(value)


def iso_date(errors: dict, name: str, raw: str, *, required: bool = False, not_before: date | None = None,
             blank_is_invalid: bool = False) -> date | None:
    """A date field: ``required`` says 入力してください when blank, ``blank_is_invalid`` calls a blank
    a bad date instead, ``not_before`` refuses an earlier day (request.due_past)."""
    try:
        day = parse_date(raw)
    except ValueError:
        errors.setdefault(name, t("request.due_invalid"))
        return None
    if day is None:
        if required or blank_is_invalid:
            errors.setdefault(name, t("required" if required else "request.due_invalid"))
        return None
    if not_before is not None and day < not_before:
        errors.setdefault(name, t("request.due_past"))
        return None
    return day


def month(errors: dict, name: str, raw: str) -> str | None:
    """A month as ``YYYY-MM`` in ASCII digits (statement.month when not; see pointrules.is_month)."""
    if not pointrules.is_month(raw):
        errors.setdefault(name, t("statement.month"))
        return None
    return raw


# --- numbers -----------------------------------------------------------------------------------

def points(errors: dict, name: str, raw: str, *, allow_negative: bool = False,
           allow_zero: bool = False) -> Decimal | None:
    """Points as typed (at most one decimal place; see pointrules.parse_points)."""
    try:
        return pointrules.parse_points(raw, allow_negative=allow_negative, allow_zero=allow_zero)
    except pointrules.BadNumber as bad:
        errors[name] = t(bad.key, max=pointrules.POINTS_MAX) if bad.key == "points.too_large" else t(bad.key)
        return None


def whole_number(raw: str | None, default: int | None = None) -> int | None:
    """A non-negative integer written in ASCII or full-width digits (a form's revision or version,
    a count, a price), else ``default``; nothing else is read as a number (see
    pointrules.parse_whole: no sign, no other scripts' digits such as "²" or "٣")."""
    number = pointrules.parse_whole(raw)
    return default if number is None else number


def number_text(raw: str | None) -> str:
    """A number field as typed, full-width ASCII made half-width and surrounding spaces dropped
    (and nothing else: see pointrules.ascii_width), for a caller that strips a unit first."""
    return pointrules.ascii_width(raw)


def amount(raw: str | None) -> int | None:
    """A whole amount (yen) as typed, "5,000" or "5000"; None when it is not one (see
    pointrules.parse_amount)."""
    return pointrules.parse_amount(raw)


def decimal_number(raw: str | None) -> Decimal | None:
    """An unsigned decimal as typed ("1.5"); None when it is not one (pointrules.parse_decimal)."""
    return pointrules.parse_decimal(raw)


def row_index(name: str, prefixes: tuple[str, ...]) -> int | None:
    """The row number of a repeated field's name, ``<prefix>_<N>`` with N in ASCII digits (the
    estimate form's ``qty_3``), else None. Names are written by our pages, never typed: no other
    width is read, and N has at most 6 digits (callers cap the rows they read anyway)."""
    prefix, _, number = name.partition("_")
    if prefix not in prefixes or not 0 < len(number) <= 6 or not number.isascii() or not number.isdigit():
        return None
    return int(number)


def quantity(errors: dict, name: str, raw: str) -> int | None:
    """A quantity from 1 to pointrules.QUANTITY_MAX (blank means 1)."""
    try:
        return pointrules.parse_quantity(raw or "1")
    except pointrules.BadNumber as bad:
        errors[name] = t(bad.key, max=pointrules.QUANTITY_MAX)
        return None
