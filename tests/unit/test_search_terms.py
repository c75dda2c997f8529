"""The search analyzer (services.search): what terms a text and a query make, and what is marked."""
from __future__ import annotations

import pytest

from chalicelib.models import search as index
from chalicelib.services import search
from tests.support.hostile import JSON_ONLY, VALUES


def test_japanese_without_spaces_becomes_overlapping_bigrams():
    assert search.tokens("ロゴ画像の差し替え") == ["ロゴ", "ゴ画", "画像", "像の", "の差", "差し", "し替", "替え"]


def test_a_lone_cjk_character_is_a_unigram():
    assert search.tokens("A社の件") == ["a", "社の", "の件"]
    assert search.tokens("2024年 春") == ["2024", "年", "春"]


def test_latin_and_digit_runs_are_whole_lower_case_words():
    assert search.tokens("Update the WordPress plugin v2.0") == ["update", "the", "wordpress", "plugin", "v2", "0"]


def test_mixed_scripts_split_where_the_script_changes():
    assert search.tokens("ロゴをPNGで差し替え") == ["ロゴ", "ゴを", "png", "で差", "差し", "し替", "替え"]


def test_full_width_and_half_width_fold_to_one_form():
    assert search.tokens("ＬＯＧＯ１２３") == search.tokens("logo123") == ["logo123"]
    assert search.tokens("ﾛｺﾞ") == search.tokens("ロゴ") == ["ロゴ"]
    assert search.terms("ＰＤＦ") == search.terms("pdf")


def test_case_folding_goes_beyond_lower():
    assert search.tokens("STRASSE") == search.tokens("straße")


def test_a_very_long_word_is_cut_the_same_way_in_index_and_query():
    word = "a" * 5000
    assert search.tokens(word) == ["a" * search.WORD_MAX]
    assert search.query_terms(word) == search.tokens(word)


def test_a_query_is_capped_and_still_covers_every_character_typed():
    keyword = "トップページのお知らせ欄の文言変更"
    chosen = search.query_terms(keyword)
    assert len(chosen) == search.QUERY_TERMS_MAX
    assert chosen[:3] == ["トッ", "プペ", "ージ"]
    assert search.query_terms("ロゴ画像") == ["ロゴ", "ゴ画", "画像"]


def test_punctuation_and_spaces_make_no_terms():
    assert search.tokens("、。!?「」・ 　\n") == []
    assert search.query_terms("   ") == []


@pytest.mark.parametrize("label,value", VALUES + JSON_ONLY, ids=[label for label, _ in VALUES + JSON_ONLY])
def test_hostile_values_make_bounded_terms_that_fit_a_key(label, value):
    """Threat: a pasted value (controls, bidi overrides, lone surrogates, huge runs) breaks the
    analyzer or makes a term no DynamoDB key can hold (2048 bytes), failing the write after the
    request was stored. Every term is short, has no separator or control, and encodes."""
    for text in (value, value * 50):
        for term in search.tokens(text):
            assert 0 < len(term) <= search.WORD_MAX
            assert all(search._kind(char) for char in term), (label, term)
            pk, _ = index.Posting.keys("C" * 26, term, "x")
            assert len(pk.encode("utf-8", "surrogatepass")) < 2048
        search.marked(text, value)  # never raises


def test_marked_cuts_the_text_at_every_match_and_keeps_it_whole():
    parts = search.marked("トップのロゴ画像とロゴ文字", "ロゴ画像")
    assert "".join(part for part, _ in parts) == "トップのロゴ画像とロゴ文字"
    assert [part for part, hit in parts if hit] == ["ロゴ画像", "ロゴ"]


def test_marked_matches_latin_whole_words_in_any_width_and_case():
    parts = search.marked("Ｌｏｇｏ and logos, LOGO.", "logo")
    assert [part for part, hit in parts if hit] == ["Ｌｏｇｏ", "LOGO"]


def test_marked_never_marks_up_the_text_itself():
    parts = search.marked("<script>alert(1)</script>の修正", "修正")
    assert parts == [("<script>alert(1)</script>の", False), ("修正", True)]


def test_snippet_shows_the_first_match_with_context():
    body = "あ" * 200 + "ロゴ画像" + "い" * 200
    parts = search.snippet(body, "ロゴ画像", width=40)
    text = "".join(part for part, _ in parts)
    assert text.startswith("…") and text.endswith("…") and "ロゴ画像" in text
    assert len(text) <= 42
    assert search.snippet("関係のない本文", "ロゴ") == []


def test_cursor_orders_sort_newest_last_and_are_checked():
    from datetime import datetime, timezone
    older = index.order_of(datetime(2026, 1, 1, tzinfo=timezone.utc), "0" * 26)
    newer = index.order_of(datetime(2026, 1, 2, tzinfo=timezone.utc), "0" * 26)
    assert older < newer and index.is_order(newer)
    assert not index.is_order(newer + "x") and not index.is_order("") and not index.is_order(None)
