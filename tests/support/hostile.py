"""Hostile values a person or a client program can send in any text field (issue 15).

Minimal version written by the text-and-mail work; the numbers work writes the fuller corpus
with the same name and shape, and the two are merged: ``VALUES`` is a list of (label, value)
pairs, each value a whole field's text.
"""
from __future__ import annotations

VALUES: list[tuple[str, str]] = [
    ("line separator U+2028", "件名\u2028二行目"),
    ("paragraph separator U+2029", "件名\u2029二段落目"),
    ("next line U+0085", "件名\x85次の行"),
    ("lone CR", "件名\r続き"),
    ("CRLF", "件名\r\n続き"),
    ("LF", "件名\n続き"),
    ("vertical tab", "件名\x0b続き"),
    ("form feed", "件名\x0c続き"),
    ("file/group/record separators", "件名\x1c\x1d\x1e続き"),
    ("NUL", "件名\x00続き"),
    ("other C0 and DEL", "件名\x01\x07\x1b\x7f続き"),
    ("C1 control", "件名\x9b続き"),
    ("right-to-left override U+202E", "請求書\u202eFDP.exe"),
    ("left-to-right isolate U+2066", "件名\u2066隔離\u2069"),
    ("bidi embedding U+202A..U+202C", "件名\u202a埋め込み\u202c"),
    ("zero-width space U+200B", "件\u200b名"),
    ("byte order mark U+FEFF", "\ufeff件名"),
    ("ideographic space U+3000", "\u3000件名\u3000\u3000続き\u3000"),
    ("no-break space U+00A0", "\u00a0件名\u00a0続き"),
    ("em space U+2003", "件名\u2003続き"),
    ("tab", "件名\t続き"),
    ("lone surrogate", "件名\ud800続き"),
    ("only invisible characters", "\u200b\u2028\u202e\x00"),
    ("emoji ZWJ sequence", "家族\U0001F468\u200d\U0001F469\u200d\U0001F467"),
    ("ideographic variation sequence", "葛\U000E0100城"),
    ("full-width equals", "＝HYPERLINK(\"http://evil.example\")"),
    ("markup split by a zero-width space", "<scr\u200bipt>alert(1)</script>"),
]
