"""Keyword search never crosses a company, never reaches a 社内メモ, and never says how much it did not show."""
from __future__ import annotations

import random
import re
import uuid
from urllib.parse import quote

import pytest

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import requests, search
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user


def unique_kanji(length: int = 4) -> str:
    chooser = random.Random(uuid.uuid4().int)
    return "".join(chr(chooser.randrange(0x4E00, 0x9FA0)) for _ in range(length))


@pytest.fixture
def world():
    """Company A's request, found by its title, body and a comment; a 社内メモ on it; company B's client."""
    a, b = make_company("株式会社エー"), make_company("株式会社ビー")
    asker_a = make_client(a, role=CLIENT_ADMIN)
    staff = make_user(role=AGENCY_STAFF)
    words = {name: unique_kanji() for name in ("title", "body", "comment", "memo", "nowhere")}
    filed = make_request(asker_a, title=f"{words['title']}の件", body=f"{words['body']}について")
    requests.add_comment(asker_a, filed.request_id, f"{words['comment']}もです")
    requests.update_request(staff, filed.request_id, requests.RequestChanges(memo=f"{words['memo']}は社内で対応"),
                            revision=0)
    return {"a": a, "b": b, "asker_a": asker_a, "asker_b": make_client(b, role=CLIENT_ADMIN), "staff": staff,
            "words": words, "request": filed}


def _listing(page: str, keyword: str) -> str:
    """The page's results and pager, the keyword itself and the per-page tokens taken out."""
    section = page[page.index('<section class="panel">'):page.index("</section>", page.index('<section class="panel">'))]
    return re.sub(r'name="csrf_token" value="[^"]*"', "", section).replace(keyword, "KEYWORD")


def test_a_client_never_finds_another_companys_request_nor_learns_it_exists(client, world):
    """Threat: a client types words it guesses (a competitor's project name) into 依頼の検索 or the
    API and learns from a result, a count, a snippet or a 次のページ that another company wrote them.
    Company B searching A's words gets exactly what it gets for words nobody wrote."""
    words = world["words"]
    own = signed_in(client, world["asker_a"])
    for name in ("title", "body", "comment"):
        assert world["request"].request_id in own.text(own.get(f"/requests?q={quote(words[name])}")), name
    other = signed_in(client, world["asker_b"])
    nowhere = _listing(other.text(other.get(f"/requests?q={quote(words['nowhere'])}")), words["nowhere"])
    for name in ("title", "body", "comment"):
        for path in (f"/requests?q={quote(words[name])}",
                     f"/requests?q={quote(words[name])}&company={world['a'].company_id}"):
            page = other.text(other.get(path))
            assert world["request"].request_id not in page and "request-list__item" not in page
            assert _listing(page, words[name]) == nowhere, path
        answer = other.get(f"/api/requests?q={quote(words[name])}&company={world['a'].company_id}")
        assert answer.status_code == 200 and answer.json_body == {"requests": [], "next": None}


def test_a_cursor_from_one_company_opens_nothing_of_it_to_another(client, world):
    """Threat: a client pastes a 次のページ cursor (seen elsewhere, or forged) to page into another
    company's results. A cursor is only a position: the company is the session's."""
    words = world["words"]
    found = search.find(words["title"], company_id=world["a"].company_id)
    cursor = search.index.order_of(world["request"].created_at, "Z" * 26)  # just after A's request
    assert found.requests
    other = signed_in(client, world["asker_b"])
    page = other.text(other.get(f"/requests?q={quote(words['title'])}&after={quote(cursor)}"))
    assert world["request"].request_id not in page and "request-list__item" not in page


def test_no_one_finds_a_request_by_its_internal_memo(client, world):
    """Threat: a 社内メモ (never shown to a client) leaks through search: a client finding its own
    request by the memo's words learns what the memo says. 社内メモ are never indexed, and a
    result's excerpt comes from the 依頼内容 only."""
    words = world["words"]
    memo_words = words["memo"]
    search.index_request(world["request"].request_id)  # the ops command's path reads the whole thread
    own = signed_in(client, world["asker_a"])
    page = own.text(own.get(f"/requests?q={quote(memo_words)}"))
    assert "request-list__item" not in page
    assert own.get(f"/api/requests?q={quote(memo_words)}").json_body == {"requests": [], "next": None}
    by_title = own.text(own.get(f"/requests?q={quote(words['title'])}"))
    assert world["request"].request_id in by_title and "社内で対応" not in by_title
    agency = signed_in(client, world["staff"])
    assert world["request"].request_id not in agency.text(agency.get(f"/?status=&q={quote(memo_words)}"))
    assert search.find(memo_words, company_id=None).requests == []


@pytest.mark.parametrize("company", ["x" * 3000, "../../", "ALL", "%00", "0" * 26])
def test_the_agency_company_filter_cannot_aim_the_index_elsewhere(client, world, company):
    """Threat: a crafted 会社 value builds a posting key (an over-long key is a 500; ``ALL`` would
    name the every-company partition as if it were one company). Only an ID reaches a key."""
    agency = signed_in(client, world["staff"])
    response = agency.get(f"/?status=&company={quote(company)}&q={quote(world['words']['title'])}")
    assert response.status_code == 200
    assert world["request"].request_id not in agency.text(response)
