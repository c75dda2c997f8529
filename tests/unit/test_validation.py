"""Normalising and checking account fields: pure functions."""
from __future__ import annotations

import pytest

from chalicelib.services import validation as v


def clean(function, raw):
    errors = v.FieldErrors()
    return function(raw, errors), dict(errors)


@pytest.mark.parametrize("raw,expected", [
    ("ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ ハナコ"),        # half-width converted
    ("やまだ　はなこ", "ヤマダ ハナコ"),       # hiragana and a full-width space
    ("  スズキ   ジロー ", "スズキ ジロー"),   # spaces folded, ー allowed
])
def test_kana_becomes_full_width_katakana(raw, expected):
    assert clean(v.clean_kana, raw) == (expected, {})


@pytest.mark.parametrize("raw", ["yamada", "山田", "ヤマダ1"])
def test_kana_refuses_anything_but_katakana(raw):
    assert "カタカナ" in clean(v.clean_kana, raw)[1]["kana"]


@pytest.mark.parametrize("raw,expected", [("03-1234-5678", "03-1234-5678"), ("０９０ー１２３４ー５６７８", "090-1234-5678"),
                                          ("0312345678", "0312345678")])
def test_phone_numbers_of_digits_and_hyphens(raw, expected):
    assert clean(v.clean_phone, raw) == (expected, {})


@pytest.mark.parametrize("raw", ["03-12a4", "+81 3 1234", "--", "123"])
def test_phone_refusals(raw):
    assert "数字とハイフン" in clean(v.clean_phone, raw)[1]["phone"]


@pytest.mark.parametrize("raw,ok", [("taro@example.co.jp", True), ("ｔａｒｏ@example.com", True),
                                    ("taro@", False), ("taro example@x.jp", False), ("@x.jp", False), ("a@b", False)])
def test_email_addresses(raw, ok):
    assert ("email" not in clean(v.clean_email, raw)[1]) is ok


@pytest.mark.parametrize("raw,ok", [("tanaka01", True), ("ＴＡＮＡＫＡ１", True), ("abcd", False), ("tanaka_01", False),
                                    ("田中太郎さん", False)])
def test_user_ids(raw, ok):
    assert ("user_id" not in clean(v.clean_user_id, raw)[1]) is ok


def test_required_fields_say_so():
    for function, name in ((v.clean_name, "name"), (v.clean_kana, "kana"), (v.clean_phone, "phone"),
                           (v.clean_email, "email"), (v.clean_user_id, "user_id")):
        assert clean(function, "   ")[1] == {name: "入力してください。"}


def clean_colour(raw):
    errors = v.FieldErrors()
    return v.clean_colour(raw, "colour", errors), dict(errors)


@pytest.mark.parametrize("raw,expected", [("#1e3a8a", "#1e3a8a"), ("#0F5132", "#0f5132"), ("0f5132", "#0f5132"),
                                          ("＃０Ｆ５１３２", "#0f5132"), ("#036", "#003366"), (" #000000 ", "#000000")])
def test_colours_are_stored_as_six_lower_case_digits(raw, expected):
    assert clean_colour(raw) == (expected, {})


@pytest.mark.parametrize("raw", ["red", "#12345", "#1234567", "#gggggg", "#0f 5132", "rgb(0,0,0)", "#0f5132;x"])
def test_colours_that_are_not_hex_digits_are_refused(raw):
    assert "6桁の半角英数字" in clean_colour(raw)[1]["colour"]


@pytest.mark.parametrize("raw", ["#ffffff", "#ffff00", "#2ecc71", "#9aa5b1"])
def test_colours_white_text_cannot_be_read_on_are_refused(raw):
    assert "明るすぎる色" in clean_colour(raw)[1]["colour"]


def test_the_contrast_with_white_is_wcags():
    assert round(v.contrast_with_white("#000000"), 1) == 21.0
    assert round(v.contrast_with_white("#ffffff"), 1) == 1.0
    assert round(v.contrast_with_white("#767676"), 2) == 4.54  # the lightest grey that passes AA for text
