"""Keyword search: DynamoDB calls and server time of one page of results, at 10 and 10,000 requests.

Each size is a company of its own whose requests are written in batches and indexed in bulk
(services.search.requests_filed), the same postings the app writes when a request is filed. It is
searched from both sides: the client's 依頼の検索 (/requests?q=) and the agency's inbox with the
company chosen (/?company=…&q=). The section fails when a query's calls at 10,000 requests exceed
its calls at 10 by more than the batch reads of the other terms' postings a longer list needs
(one round: at most ceil(PROBE x (terms - 1) / 100)), or exceed the bound that holds whatever the
data (services.search: ROUNDS rounds of queries, look-ups and request reads), or when a search scans.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from bench import world as w

SIZES = (10, 10_000)
# GETs per page and size: a warm-up and the counted view, both timed. Few, because the emulator's
# first index query after a write walks the whole table, so a page of a 10,000-request table is slow.
TIMED = 2
RARE = "栞鶺鴒"  # in one old request of each company only
QUERIES = {  # name: keyword
    "a rare word (one old request)": RARE,
    "a common phrase (every request)": "トップページの文言変更",
    "Japanese and English": "ロゴ画像 PNG",
}
_TITLES = ("トップページの文言変更 {n}", "ロゴ画像をPNGで差し替え {n}", "WordPress plugin update {n}",
           "お問い合わせフォームの修正 {n}", "採用情報ページの追加 {n}")


def _company(size: int):
    """A company with ``size`` requests, indexed; its client admin's and a staff member's sessions."""
    from chalicelib.models.companies import Company
    from chalicelib.models.requests import Request
    from chalicelib.models.users import User
    from chalicelib.services import search, workflow

    one = w.make_scene(f"検索{size}件の会社")
    company, asker = Company.find(one.company_id), User.find(one.client_id)
    start = datetime.now(timezone.utc) - timedelta(days=90)
    made = []
    with Request.batch_write() as batch:
        for n in range(size - 1):
            at = start + timedelta(minutes=n)
            title = _TITLES[n % len(_TITLES)].format(n=n) if n != 1 else f"{RARE}の件 トップページの文言変更"
            request = Request.new(company_id=company.company_id, company_name=company.name, number=n + 2, title=title,
                                  body="本文", status=workflow.NEW,
                                  requester_id=asker.user_id, requester_name=asker.name, created_at=at,
                                  last_activity_at=at)
            batch.save(request)
            made.append(request)
    search.requests_filed(made)
    return one, w.session(one.client_id, one.password), w.session(one.staff_id, one.password), made


def _measure(agent, url: str) -> tuple[int, int, float, int]:
    """Calls of the second view (and Scans among them), median seconds of both views, results shown."""
    from tests.support.volume import DynamoDBCalls

    warm = w.timed(lambda: agent.get(url).raise_for_status())
    response = None

    def counted():
        nonlocal response
        response = agent.get(url)

    with DynamoDBCalls() as calls:
        took = w.timed(counted)
    response.raise_for_status()
    return calls.total, calls.operations.get("Scan", 0), w.median([warm, took]), response.text.count('class="request-list__item')


def run() -> str:
    from chalicelib.services import search

    base = w.world().url
    baseline = __import__("requests").Session()
    results: dict[tuple[str, str], dict[int, tuple]] = {}
    cleanup = []
    reference = {}
    for size in SIZES:
        one, client, staff, made = _company(size)
        cleanup.append(made)
        for name, keyword in QUERIES.items():
            for side, agent, path in (("client", client, f"/requests?q={quote(keyword)}"),
                                      ("agency", staff, f"/?status=&company={one.company_id}&q={quote(keyword)}")):
                results.setdefault((name, side), {})[size] = _measure(agent, base + path)
        reference[size] = w.median([w.timed(lambda: baseline.get(w.world().baseline_url + "/").raise_for_status())
                                    for _ in range(5)])
    failures, rows = [], []
    for (name, side), by_size in results.items():
        terms = len(search.query_terms(QUERIES[name]))
        small, large = by_size[SIZES[0]], by_size[SIZES[1]]
        allowance = math.ceil(search.PROBE * (terms - 1) / 100)
        bound = search.ROUNDS * (terms + math.ceil(search.PROBE * max(terms - 1, 0) / 100)
                                 + math.ceil(search.PROBE / 30)) + 4  # + session, user, seen marks, settings
        if large[0] > small[0] + allowance or large[0] > bound or small[1] or large[1]:
            failures.append(f"{name} ({side})")
        rows.append([f"{name}: 「{QUERIES[name]}」", side, terms, small[0], large[0], bound,
                     f"{small[2] * 1000:.0f} ({small[2] / reference[SIZES[0]]:.1f}×)",
                     f"{large[2] * 1000:.0f} ({large[2] / reference[SIZES[1]]:.1f}×)", f"{small[3]} / {large[3]}"])
    for made in cleanup:  # later sections file requests, which the emulator slows down on a large table
        search.requests_removed(made)
        w.remove(made)
    section = "\n".join([
        "## Search",
        "",
        "One page of keyword results (the second view), in a company with 10 and with 10,000 requests, from the",
        "client's 依頼の検索 and from the agency's inbox with that company chosen. Calls are every DynamoDB call of",
        "the page (session and the rest included); the bound is what the query's terms allow whatever the data",
        f"({search.ROUNDS} rounds of one query per term, the look-ups of the other terms' postings and the request reads).",
        f"Times are the median of {TIMED} GETs in ms, with the multiple of the minimal Chalice app's (one GetItem) in brackets;",
        "the emulator's first index query after a write walks the whole table (the next ones read its groups),",
        "so its times grow with the table where DynamoDB's do not. Shown: requests listed on the page at 10 / 10,000.",
        "",
        w.table(["query", "side", "terms", "calls at 10", "calls at 10,000", "bound", "ms at 10", "ms at 10,000",
                 "shown"], rows),
    ])
    if failures:
        raise w.Failed(section + f"\n\n**FAILED**: search calls grow with the data: {', '.join(failures)}.")
    return section
