"""A corpus of hostile values: what a person can paste, or a script send, into any field.

Shared by the security walks (tests/security/test_hostile_values.py), the mail and text tests
(tests/integration/test_mail_text.py) and the unit tests of the parsers and cleaners.
``VALUES`` is a list of (label, value), each value a whole field's text; ``CLASSES`` groups the
labels by kind, so a walk that cannot afford every value everywhere still sends every kind to
every field. ``JSON_ONLY`` holds what only a JSON body can carry (a page's form cannot encode it).
"""
from __future__ import annotations

VALUES: list[tuple[str, str]] = [
    # Digits Python's str.isdigit(), int() or Decimal() accept that no one types as a number.
    ("superscript two", "²"),
    ("arabic-indic three", "٣"),
    ("circled one", "①"),
    ("digits then superscript", "1²"),
    # Spaces that are not U+0020.
    ("ideographic space", "\u3000件名\u3000\u3000続き\u3000"),
    ("no-break space", "1\u00a02"),
    ("em space", "\u2003"),
    ("tab", "件名\t続き"),
    # Line breaks Python splits on that forms do not send as line breaks.
    ("line separator", "件名\u2028続き"),
    ("paragraph separator", "件名\u2029続き"),
    ("next line", "件名\u0085続き"),
    ("lone CR", "件名\r続き"),
    ("CRLF", "件名\r\n続き"),
    ("LF", "件名\n続き"),
    ("file/group/record separators", "件名\x1c\x1d\x1e続き"),
    # Controls.
    ("vertical tab", "件名\x0b続き"),
    ("form feed", "件名\x0c続き"),
    ("NUL", "件名\x00続き"),
    ("other C0 and DEL", "件名\x01\x07\x1b\x7f続き"),
    ("C1 control", "件名\x9b続き"),
    # Bidirectional overrides, isolates and embeddings.
    ("right-to-left override", "請求書\u202eFDP.exe"),
    ("left-to-right isolate", "\u2066abc\u2069"),
    ("bidi embedding", "件名\u202a埋め込み\u202c"),
    # Invisible format characters, and the visible sequences that need some of them.
    ("zero-width space", "件\u200b名"),
    ("byte order mark", "\ufeff件名"),
    ("only invisible characters", "\u200b\u2028\u202e\x00"),
    ("emoji ZWJ sequence", "家族\U0001F468\u200d\U0001F469\u200d\U0001F467"),
    ("ideographic variation sequence", "葛\U000E0100城"),
    ("markup split by a zero-width space", "<scr\u200bipt>alert(1)</script>"),
    ("full-width equals", "＝HYPERLINK(\"http://evil.example\")"),
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
    "unicode spaces": ["ideographic space", "no-break space", "em space", "tab"],
    "line breaks": ["line separator", "paragraph separator", "next line", "lone CR", "CRLF", "LF",
                    "file/group/record separators"],
    "controls": ["vertical tab", "form feed", "NUL", "other C0 and DEL", "C1 control"],
    "bidi": ["right-to-left override", "left-to-right isolate", "bidi embedding"],
    "invisible": ["zero-width space", "byte order mark", "only invisible characters", "emoji ZWJ sequence",
                  "ideographic variation sequence", "markup split by a zero-width space", "full-width equals"],
    "big numbers": ["29 digits", "40 digits", "very long digits"],
    "number syntax": ["exponent", "thousands separator", "negative zero", "not a number", "infinity"],
    "dates": ["last day", "basic date", "ISO week date", "month 13", "zero date"],
}

JSON_ONLY: list[tuple[str, str]] = [("lone surrogate", "件名\ud800続き")]

BY_LABEL = dict(VALUES)
assert len(BY_LABEL) == len(VALUES), "labels are unique"
assert sorted(BY_LABEL) == sorted(label for labels in CLASSES.values() for label in labels), "every value has a class"


def one_of_each_class(turn: int) -> list[tuple[str, str]]:
    """One value of every class, a different one for each ``turn`` (so fields take turns through a
    class and, over the walk, every value is sent)."""
    return [(labels[turn % len(labels)], BY_LABEL[labels[turn % len(labels)]]) for labels in CLASSES.values()]
