"""A corpus of hostile values: what a person can paste, or a script send, into any field.

Shared by the security walk (tests/security/test_hostile_values.py) and the unit tests of the
parsers. ``VALUES`` is a list of (label, value); ``CLASSES`` groups the labels by kind, so a walk
that cannot afford every value everywhere still sends every kind to every field.
"""
from __future__ import annotations

VALUES: list[tuple[str, str]] = [
    # Digits Python's str.isdigit(), int() or Decimal() accept that no one types as a number.
    ("superscript two", "²"),
    ("arabic-indic three", "٣"),
    ("circled one", "①"),
    ("digits then superscript", "1²"),
    # Spaces that are not U+0020.
    ("ideographic space", "\u3000"),
    ("no-break space", "1\u00a02"),
    ("em space", "\u2003"),
    # Line breaks Python splits on that forms do not send as line breaks.
    ("line separator", "件名\u2028続き"),
    ("paragraph separator", "件名\u2029続き"),
    ("next line", "件名\u0085続き"),
    ("lone CR", "件名\r続き"),
    ("vertical tab", "件名\x0b続き"),
    ("form feed", "件名\x0c続き"),
    ("NUL", "件名\x00続き"),
    # Bidirectional overrides and isolates.
    ("right-to-left override", "\u202eabc"),
    ("left-to-right isolate", "\u2066abc\u2069"),
    # Numbers too large for their column, or written the way only a program writes them.
    ("29 digits", "1" * 29),
    ("40 digits", "9" * 40),
    ("exponent", "1e3"),
    ("thousands separator", "1,000"),
    ("negative zero", "-0"),
    ("not a number", "NaN"),
    ("infinity", "Infinity"),
    ("very long digits", "9" * 5000),
    # Dates and months a lax parser (Python 3.11's date.fromisoformat) reads.
    ("last day", "9999-12-31"),
    ("basic date", "20270105"),
    ("ISO week date", "2026-W05-3"),
    ("month 13", "2026-13"),
    ("zero date", "0000-00-00"),
]

CLASSES: dict[str, list[str]] = {
    "unicode digits": ["superscript two", "arabic-indic three", "circled one", "digits then superscript"],
    "unicode spaces": ["ideographic space", "no-break space", "em space"],
    "line breaks": ["line separator", "paragraph separator", "next line", "lone CR"],
    "controls": ["vertical tab", "form feed", "NUL"],
    "bidi": ["right-to-left override", "left-to-right isolate"],
    "big numbers": ["29 digits", "40 digits", "very long digits"],
    "number syntax": ["exponent", "thousands separator", "negative zero", "not a number", "infinity"],
    "dates": ["last day", "basic date", "ISO week date", "month 13", "zero date"],
}

BY_LABEL = dict(VALUES)
assert sorted(BY_LABEL) == sorted(label for labels in CLASSES.values() for label in labels), "every value has a class"


def one_of_each_class(turn: int) -> list[tuple[str, str]]:
    """One value of every class, a different one for each ``turn`` (so fields take turns through a
    class and, over the walk, every value is sent)."""
    return [(labels[turn % len(labels)], BY_LABEL[labels[turn % len(labels)]]) for labels in CLASSES.values()]
