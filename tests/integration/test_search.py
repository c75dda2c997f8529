"""Keyword search (依頼の検索, the inbox's キーワード) over the index kept in the table, against the emulator."""
from __future__ import annotations

import random
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import requests, search, workflow
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user
from tests.support.volume import DynamoDBCalls


def unique_kanji(length: int = 4) -> str:
    """Kanji no other test writes, so searches across every company find only this test's requests."""
    chooser = random.Random(uuid.uuid4().int)
    return "".join(chr(chooser.randrange(0x4E00, 0x9FA0)) for _ in range(length))


def unique_word() -> str:
    return "kw" + "".join(random.Random(uuid.uuid4().int).choice("abcdefghijkmnpqrstuvwxyz") for _ in range(10))


def numbers_on(page: str) -> list[int]:
    """The request numbers listed on a page, in order."""
    return [int(n) for n in re.findall(r'class="request-list__number">#(\d+)<', page)]


def ids_on(page: str) -> list[str]:
    """The requests listed on a page, in order."""
    return re.findall(r'href="/requests/([0-9A-Z]{26})" class="request-list__link"', page)


def bulk(company, asker, titles: list[str], *, body: str = "本文です。", first_number: int = 1000) -> list[Request]:
    """Requests written straight to the table and indexed in bulk, filed one minute apart (oldest first)."""
    start = datetime.now(timezone.utc) - timedelta(days=60)
    made = []
    with Request.batch_write() as batch:
        for index, title in enumerate(titles):
            at = start + timedelta(minutes=index)
            request = Request.new(company_id=company.company_id, company_name=company.name, number=first_number + index,
                                  title=title, body=body, status=workflow.NEW, requester_id=asker.user_id,
                                  requester_name=asker.name, created_at=at, last_activity_at=at)
            batch.save(request)
            made.append(request)
    search.requests_filed(made)
    return made


@pytest.fixture
def company():
    return make_company("株式会社さがす")


@pytest.fixture
def asker(company):
    return make_client(company, role=CLIENT_ADMIN)


@pytest.fixture
def staff():
    return make_user(role=AGENCY_STAFF)


def test_finds_by_title_body_and_comment_on_both_sides_with_the_words_marked(client, company, asker, staff):
    word = unique_kanji()
    by_title = make_request(asker, title=f"{word}の差し替え", body="本文")
    by_body = make_request(asker, title="トップの修正", body=f"お知らせ欄の{word}を直してください。")
    by_comment = make_request(asker, title="問い合わせフォーム", body="送信できません")
    requests.add_comment(staff, by_comment.request_id, f"{word}も確認します。")
    make_request(asker, title="関係のない依頼", body="別件")

    for agent, path in ((signed_in(client, asker), f"/requests?q={quote(word)}"),
                        (signed_in(client, staff), f"/?status=&q={quote(word)}")):
        page = agent.text(agent.get(path))
        assert numbers_on(page) == [by_comment.number, by_body.number, by_title.number], path
        assert f"<mark>{word}</mark>の差し替え" in page
        assert f"お知らせ欄の<mark>{word}</mark>を直してください。" in page
        assert "コメントに一致" in page and "関係のない依頼" not in page


def test_japanese_without_spaces_and_english_in_any_width(client, company, asker):
    word = unique_word()
    filed = make_request(asker, title=f"ロゴ画像をPNGに {word.upper()}", body="Please update the Logo.")
    agent = signed_in(client, asker)
    for typed in ("ロゴ画像", "ﾛｺﾞ画像", word, word.upper(), "ＰＮＧ " + word, f"{word} logo"):
        page = agent.text(agent.get(f"/requests?q={quote(typed)}"))
        assert filed.number in numbers_on(page), typed
    assert filed.number not in numbers_on(agent.text(agent.get(f"/requests?q={quote(word + ' 見積書')}")))
    assert "<mark>Logo</mark>" in agent.text(agent.get(f"/requests?q={quote(word + ' LOGO')}"))


def test_newest_first_a_page_at_a_time_with_every_match_once(client, company, asker):
    word = unique_kanji()
    made = bulk(company, asker, [f"{word} {n}" if n % 3 else f"別の件 {n}" for n in range(100)])
    expected = [r.number for r in reversed(made) if word in r.title]
    assert len(expected) == 66
    agent = signed_in(client, asker)
    path, seen = f"/requests?q={quote(word)}", []
    while path:
        page = agent.text(agent.get(path))
        numbers = numbers_on(page)
        assert 0 < len(numbers) <= 30
        seen += numbers
        following = re.search(r'href="(/requests\?q=[^"]+)">次のページ<', page)
        path = following.group(1).replace("&amp;", "&") if following else None
    assert seen == expected


def test_a_rare_word_among_many_requests_is_on_page_1(client, staff):
    """The old filter read at most 4 index pages: a rare, old word showed an empty page with 次のページ."""
    company = make_company("株式会社たくさん")
    asker = make_client(company)
    rare = unique_kanji()
    titles = [f"トップページの文言変更 {n}" for n in range(400)]
    titles[3] = f"トップページの{rare}"
    made = bulk(company, asker, titles)
    for agent, path in ((signed_in(client, asker), f"/requests?q={quote(rare)}"),
                        (signed_in(client, staff), f"/?status=&q={quote(rare)}"),
                        (signed_in(client, staff), f"/?status=&company={company.company_id}&q={quote('トップページの' + rare)}")):
        page = agent.text(agent.get(path))
        assert numbers_on(page) == [made[3].number], path
        assert "次のページ" not in page


def test_inbox_filters_apply_to_what_the_keyword_finds(client, staff):
    word = unique_word()
    sun, moon = make_company("サン商事"), make_company("ムーン工業")
    in_sun = make_request(make_client(sun), title=f"{word} サン")
    in_moon = make_request(make_client(moon), title=f"{word} ムーン")
    requests.update_request(staff, in_moon.request_id, requests.RequestChanges(assignee_id=staff.user_id), revision=0)
    agent = signed_in(client, staff)
    assert ids_on(agent.text(agent.get(f"/?q={word}&company={sun.company_id}"))) == [in_sun.request_id]
    assert ids_on(agent.text(agent.get(f"/?q={word}&assignee={staff.user_id}"))) == [in_moon.request_id]
    assert ids_on(agent.text(agent.get(f"/?q={word}&assignee=none"))) == [in_sun.request_id]
    newest_filed = agent.text(agent.get(f"/?q={word}"))
    assert ids_on(newest_filed) == [in_moon.request_id, in_sun.request_id]
    assert "新しく登録された順" in newest_filed and "新しく登録された順" not in agent.text(agent.get("/"))
    assert "条件に合う依頼はありません" in agent.text(agent.get(f"/?q={word}&status=done"))
    answer = agent.get(f"/api/requests?q={word}&status=")
    assert {r["number"] for r in answer.json_body["requests"]} == {in_sun.number, in_moon.number}


def test_edits_and_deletions_update_the_index(aws, company, asker):
    word, other = unique_kanji(), unique_kanji()
    filed = make_request(asker, title=f"{word}の件", body=f"{other}もお願いします")
    assert [r.request_id for r in search.find(word, company_id=company.company_id).requests] == [filed.request_id]
    # An edit of the 依頼内容: the words it loses stop finding it, the words it gains find it.
    search.reindex(filed, [filed.title, filed.body], [filed.title, "本文を書き換えました"])
    assert search.find(other, company_id=company.company_id).requests == []
    assert search.find("書き換え", company_id=company.company_id).requests[0].request_id == filed.request_id
    assert [r.request_id for r in search.find(word, company_id=None).requests] == [filed.request_id]
    # A deletion: nothing finds it any more, in its company or the agency's index.
    search.request_removed(filed, [])
    search.reindex(filed, ["本文を書き換えました"], [])
    assert search.find(word, company_id=company.company_id).requests == []
    assert search.find(word, company_id=None).requests == []


def test_a_posting_left_by_a_deleted_request_is_skipped(aws, company, asker):
    word = unique_kanji()
    kept = make_request(asker, title=f"{word} 残る")
    gone = make_request(asker, title=f"{word} 消える")
    Request(*Request.keys(gone.request_id)).delete()
    assert [r.request_id for r in search.find(word, company_id=company.company_id).requests] == [kept.request_id]


def test_the_ops_command_indexes_requests_filed_before_the_index(aws, company, asker, staff):
    from ops.index_search import index_search

    word, said = unique_kanji(), unique_kanji()
    old = bulk(company, asker, [f"{word} 昔の依頼"])[0]
    requests.add_comment(staff, old.request_id, f"{said}です")
    requests.update_request(staff, old.request_id, requests.RequestChanges(memo=f"{said}社内"), revision=0)
    search.request_removed(old, [])  # as if filed before the index existed
    assert search.find(word, company_id=company.company_id).requests == []
    assert index_search() >= 1
    assert [r.request_id for r in search.find(word, company_id=company.company_id).requests] == [old.request_id]
    assert [r.request_id for r in search.find(said, company_id=company.company_id).requests] == [old.request_id]
    assert search.find(f"{said}社内", company_id=None).requests == []  # the 社内メモ is never indexed


def _search_calls(client, user, path: str) -> DynamoDBCalls:
    agent = signed_in(client, user)
    agent.get(path)
    with DynamoDBCalls() as calls:
        response = agent.get(path)
    assert response.status_code == 200
    return calls


def test_search_calls_do_not_grow_with_the_data(client, staff):
    """10 requests and 1,000, searched for a rare word, a common phrase and an English word."""
    rare, shared = unique_kanji(), unique_word()
    counts = {}
    for size in (10, 1000):
        company = make_company(f"{size}件の検索")
        asker = make_client(company)
        titles = [f"トップページの文言変更 {shared} {n}" for n in range(size)]
        titles[1] = f"{rare} {shared}"
        bulk(company, asker, titles)
        for name, keyword in (("rare", rare), ("common", "トップページの文言"), ("english", shared)):
            for side, user, path in (("client", asker, f"/requests?q={quote(keyword)}"),
                                     ("agency", staff, f"/?status=&company={company.company_id}&q={quote(keyword)}")):
                calls = _search_calls(client, user, path)
                assert "Scan" not in calls.operations
                counts.setdefault((name, side), {})[size] = calls.total
    for key, by_size in counts.items():
        # The same calls whatever the data, but for the batch read of the other terms' postings a
        # larger list needs (at most one per term beyond the first, within one round).
        terms = len(search.query_terms({"rare": rare, "common": "トップページの文言", "english": shared}[key[0]]))
        assert by_size[10] <= by_size[1000] <= by_size[10] + (terms - 1), (key, counts)
    assert counts[("common", "client")][1000] <= 15, counts


def test_the_reason_of_a_returned_estimate_is_found_as_a_comment(aws, company, asker, staff):
    from chalicelib.services import estimates

    word = unique_kanji()
    filed = make_request(asker, title="バナーの追加")
    estimates.save_estimate(staff, filed.request_id, [estimates.LineInput(name="バナー作成", points="3")], version=0)
    estimates.return_estimate(asker, filed.request_id, version=1, reason=f"{word}の分は不要です")
    assert [r.request_id for r in search.find(word, company_id=company.company_id).requests] == [filed.request_id]
