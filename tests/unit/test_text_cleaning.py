"""One cleaner for single-line fields, one for multi-line text, one CSV formula guard: pure functions.

Threat: one invisible character (U+2028 pasted into an ordinary input, U+0085, a lone CR, VT)
in a 件名 or a name passed the single-line check, was stored, and made Python's email library
refuse every later mail about the request; bidi overrides and zero-width characters let a title
or a file name show something other than what it holds; a full-width ＝ started a formula in
the CSV. Every value of the shared hostile corpus goes through each cleaner here.
"""
from __future__ import annotations

import unicodedata

import pytest

from chalicelib.services import pointrules
from chalicelib.services import validation as v
from tests.support.hostile import JSON_ONLY, VALUES

CORPUS = pytest.mark.parametrize("label,raw", VALUES + JSON_ONLY, ids=[label for label, _ in VALUES + JSON_ONLY])
# Every line break str.splitlines() knows: what the single-line check must catch.
LINE_BREAKS = [c for c in map(chr, range(0x110000)) if len(f"a{c}b".splitlines()) == 2]


def visible(text: str) -> str:
    """The characters a reader sees (letters, digits, punctuation, symbols, marks), in order."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LNPSM")


def _is_emoji_joiner(text: str, i: int) -> bool:
    return text[i] == "\u200d" and 0 < i < len(text) - 1 and unicodedata.category(text[i + 1]) == "So"


@CORPUS
def test_a_single_line_value_is_one_clean_line_with_every_visible_character_kept(label, raw):
    value = v.one_line(raw)
    assert len(value.splitlines()) <= 1 and not any(c in value for c in LINE_BREAKS)
    assert value == value.strip() and "  " not in value
    for i, c in enumerate(value):
        category = unicodedata.category(c)
        assert category not in ("Cc", "Cs", "Zl", "Zp"), f"{label}: {c!r} kept"
        assert category != "Cf" or _is_emoji_joiner(value, i), f"{label}: format character {c!r} kept"
        assert not c.isspace() or c == " ", f"{label}: {c!r} not folded to a space"
    assert visible(value) == visible(unicodedata.normalize("NFC", raw)), f"{label}: typed text lost"


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=[f"U+{ord(c):04X}" for c in LINE_BREAKS])
def test_the_single_line_check_knows_every_line_break(brk):
    for as_typed in (True, False):
        errors: dict = {}
        v.text(errors, "title", f"件名{brk}続き", maximum=100, single_line=True, as_typed=as_typed,
               line_message="request.single_line")
        assert errors == {"title": v.t("request.single_line")}
        names = v.FieldErrors()
        v.clean_name(f"山田{brk}太郎", names)
        assert "改行" in names["name"]


@CORPUS
def test_single_line_text_is_refused_at_the_field_or_stored_clean(label, raw):
    errors: dict = {}
    value = v.text(errors, "title", raw, maximum=100, single_line=True, as_typed=True,
                   line_message="request.single_line")
    if not v.one_line(raw):
        assert errors == {"title": v.t("required")}  # nothing visible was typed
    elif len(raw) > 100:
        assert errors == {"title": v.t("too_long", max=100)}
    elif any(c in raw for c in LINE_BREAKS):
        assert errors == {"title": v.t("request.single_line")}
    elif errors:
        assert set(errors) == {"title"} and errors["title"] in (v.t("required"), v.t("request.markup"))
    else:
        assert value == v.one_line(raw)


@CORPUS
@pytest.mark.parametrize("cleaner,field", [(v.clean_name, "name"), (v.clean_company_name, "name")])
def test_names_and_company_names_use_the_single_line_cleaner(label, raw, cleaner, field):
    errors = v.FieldErrors()
    value = cleaner(raw, errors)
    if not v.one_line(raw):
        assert errors[field] == v.t("required")
    elif any(c in raw for c in LINE_BREAKS):
        assert "改行" in errors[field]
    elif not errors:
        assert value == v.one_line(raw)


def test_the_refused_line_break_message_says_what_to_do():
    assert "改行" in v.t("single_line") and "1行" in v.t("single_line")
    assert "件名は1行で入力してください" in v.t("request.single_line")


@CORPUS
def test_multi_line_text_keeps_lines_as_lf_and_nothing_else_invisible(label, raw):
    value = v.multi_line(raw)
    for i, c in enumerate(value):
        category = unicodedata.category(c)
        assert c in "\n\t" or category not in ("Cc", "Cs", "Zl", "Zp"), f"{label}: {c!r} kept"
        assert category != "Cf" or _is_emoji_joiner(value, i), f"{label}: format character {c!r} kept"
    assert not any(c in value for c in LINE_BREAKS if c != "\n")  # LF is the only line break left
    assert visible(value) == visible(unicodedata.normalize("NFC", raw))
    assert value.count("\n") == len(raw.replace("\r\n", "\n").splitlines()) - 1 + raw.endswith(tuple(LINE_BREAKS))


def test_multi_line_text_through_text_is_cleaned_before_it_is_stored():
    errors: dict = {}
    assert v.text(errors, "body", "一行目\r\n二行目\r三行目\u2028四行目\x00", maximum=100,
                  as_typed=True) == "一行目\n二行目\n三行目\n四行目"
    assert errors == {}


def test_markup_hidden_by_an_invisible_character_is_still_refused():
    for single_line in (True, False):
        errors: dict = {}
        v.text(errors, "title", "<scr\u200bipt>alert(1)</script>", maximum=100, single_line=single_line)
        assert errors == {"title": v.t("request.markup")}


def test_emoji_sequences_keep_their_joiners_and_stray_joiners_go():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert v.one_line(f"家族{family}") == f"家族{family}"
    assert v.one_line("件\u200d名") == "件名"
    flag = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"
    assert v.one_line(flag) == flag and v.one_line("a\U000E0067b") == "ab"


def test_file_names_go_through_the_same_cleaner():
    from chalicelib.services import attachments

    assert attachments.clean_name("C:\\Users\\x\\請求書\u202eFDP.exe") == "請求書FDP.exe"
    assert attachments.clean_name("見積\u2028書\u3000.pdf") == "見積 書 .pdf"
    assert attachments.clean_name("e\u0301.png") == "\u00e9.png"  # NFC: macOS sends NFD


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫", "⁼", "₊",
                                   " =", "\u3000＝", "\u00a0+", "\t", "\r", "\n", "\u200b="])
def test_every_nfkc_equivalent_formula_start_is_defused_in_csv(start):
    cell = pointrules.safe_cell(f"{start}HYPERLINK(\"http://evil.example\")")
    assert cell.startswith("'")


@pytest.mark.parametrize("text", ["普通の件名", "1月分", "ＡＢＣ", " 先頭の空白", "（株）ミナト"])
def test_ordinary_text_is_left_alone_in_csv(text):
    assert pointrules.safe_cell(text) == text
