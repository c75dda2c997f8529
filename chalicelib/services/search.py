"""Keyword search over requests: the analyzer, the index's upkeep, and the query.

Analysis follows Lucene's CJK bigram analysis (CJKAnalyzer: StandardTokenizer, CJKWidthFilter,
LowerCaseFilter, CJKBigramFilter): text is NFKC-normalised and case-folded; a run of CJK
characters (kanji, hiragana, katakana, hangul) becomes its overlapping bigrams (ロゴ画像 -> ロゴ,
ゴ画, 画像), a lone CJK character stays a unigram; a run of other letters and digits is one whole
word (Logo -> logo; no prefixes, no stemming), cut to WORD_MAX characters; everything else
separates. A query is analysed the same way and finds the requests holding all of its terms.

What is indexed, per request: its 件名, its 依頼内容 and the text of its comments, under the
request's company (models.search). 社内メモ are never indexed, so neither side can find a request
by one and a client can never learn of one; company names are not indexed either (the inbox's
会社 filter picks a company).

The query reads one page of postings per query term (calls grow with the query, never the data),
takes the term whose postings reach furthest back (the rarest) as the candidates, and checks the
other terms for each candidate in memory where their page covers it, else by batch reads of the
exact posting keys. It does not read a candidate's text: a comment lives in its own item, so
verifying by text would cost a read per candidate. Terms are not checked for adjacency: a request
holding ロゴ and 画像 apart also matches ロゴ画像, as bigram search without positions does.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

from chalicelib.models import search as index
from chalicelib.models.requests import Request, ThreadEntry, request_items

WORD_MAX = 32          # a longer word is indexed (and searched) by its first WORD_MAX characters
QUERY_TERMS_MAX = 6    # terms of one query that are looked up (the rest only mark the results)
PROBE = 50             # postings read per term and round
ROUNDS = 3             # rounds of PROBE candidates one page may read before it offers the next page
SNIPPET = 80           # characters of 依頼内容 shown around the first match

# CJK blocks whose characters are bigrammed (after NFKC, so half-width katakana is full-width).
_CJK_RANGES = ((0x3005, 0x3007), (0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
               (0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F), (0xF900, 0xFAFF), (0x20000, 0x3134F))


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES) and char not in "・゠"


def _kind(char: str) -> str | None:
    if _is_cjk(char):
        return "cjk"
    if char.isalnum():
        return "word"
    return None


def normalize(text: str) -> str:
    """NFKC then case folding: the form both the index and the query are made from."""
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> Iterable[tuple[str, str]]:
    """(kind, run) for each run of CJK characters or of other letters and digits."""
    kind, start = None, 0
    for position, char in enumerate(text + " "):
        current = _kind(char) if position < len(text) else None
        if current != kind:
            if kind is not None:
                yield kind, text[start:position]
            kind, start = current, position


def tokens(text: str) -> list[str]:
    """The terms of ``text`` in order of appearance, repeats included."""
    found = []
    for kind, run in _runs(normalize(text)):
        if kind == "word":
            found.append(run[:WORD_MAX])
        elif len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i:i + 2] for i in range(len(run) - 1))
    return found


def terms(*texts: str) -> set[str]:
    """The distinct terms of ``texts``: what the index holds for them."""
    return {term for text in texts for term in tokens(text)}


def query_terms(keyword: str) -> list[str]:
    """The terms a query looks up: distinct, at most QUERY_TERMS_MAX. When a long query has more,
    every other bigram of a run is taken first (ロゴ画像 -> ロゴ, 画像), so the terms looked up still
    cover every character typed."""
    found = list(dict.fromkeys(tokens(keyword)))
    if len(found) <= QUERY_TERMS_MAX:
        return found
    covering = []
    for kind, run in _runs(normalize(keyword)):
        if kind == "word" or len(run) == 1:
            covering.append(run[:WORD_MAX])
        else:
            starts = list(range(0, len(run) - 1, 2))
            if (len(run) - 1) % 2:
                starts.append(len(run) - 2)  # the last character is covered too
            covering.extend(run[i:i + 2] for i in starts)
    chosen = list(dict.fromkeys(covering))
    return (chosen + [term for term in found if term not in chosen])[:QUERY_TERMS_MAX]


# --- the index's upkeep (called by services.requests after each change is stored) ---------------

def _postings(request: Request, words: Iterable[str]) -> list[index.Posting]:
    order = index.order_of(request.created_at, request.request_id)
    return [index.Posting.of(request.company_id, term, order) for term in sorted(set(words))]


def _client_texts(request: Request, entries: Iterable[ThreadEntry]) -> list[str]:
    """What is searchable of a request: 件名, 依頼内容 and its comments (never a 社内メモ)."""
    return [request.title, request.body, *(entry.body for entry in entries if entry.entry_kind == "comment")]


def reindex(request: Request, before: list[str], after: list[str]) -> None:
    """Make the index follow a change of a request's searchable texts from ``before`` to
    ``after`` (each the full list: 件名, 依頼内容, comments): the terms gained are put, the terms
    no text holds any more are deleted. Idempotent: running it again writes the same."""
    old, new = terms(*before), terms(*after)
    index.write(_postings(request, new - old), _postings(request, old - new))


def request_filed(request: Request) -> None:
    """A new request: index its 件名 and 依頼内容."""
    reindex(request, [], [request.title, request.body])


def requests_filed(requests: Iterable[Request]) -> None:
    """Index the 件名 and 依頼内容 of many requests at once (requests written in bulk, e.g. by the bench)."""
    index.write([posting for request in requests for posting in _postings(request, terms(request.title, request.body))], [])


def requests_removed(requests: Iterable[Request]) -> None:
    """Remove the 件名 and 依頼内容 postings of many requests at once (the bench's clean-up)."""
    index.write([], [posting for request in requests for posting in _postings(request, terms(request.title, request.body))])


def comment_added(request: Request, entry: ThreadEntry) -> None:
    """A new comment: index the terms it adds (a 社内メモ adds none). The terms the request's
    件名 and 依頼内容 already hold are not written again; other comments' may be, harmlessly."""
    if entry.entry_kind != "comment":
        return
    index.write(_postings(request, terms(entry.body) - terms(request.title, request.body)), [])


def index_request(request_id: str) -> Request | None:
    """Index everything searchable of a stored request (one query, then the postings); for
    requests filed before the index existed, and to repair a lost follow-up. Returns it."""
    request, entries = None, []
    for item in request_items(request_id):
        if isinstance(item, Request):
            request = item
        elif isinstance(item, ThreadEntry):
            entries.append(item)
    if request is not None:
        reindex(request, [], _client_texts(request, entries))
    return request


def request_removed(request: Request, entries: list[ThreadEntry]) -> None:
    """A deleted request (with its thread as it was): its postings go."""
    reindex(request, _client_texts(request, entries), [])


# --- the query -------------------------------------------------------------------------------------

@dataclass
class Found:
    """One page of matches: the requests newest first, and where the next page starts (None: no more)."""

    requests: list[Request]
    cursor: str | None


def find(keyword: str, *, company_id: str | None, after: str | None = None, limit: int = 30,
         accept: Callable[[Request], bool] = lambda request: True) -> Found:
    """The requests of ``company_id`` (every company when None: the agency only) that hold every
    term of ``keyword``, newest filed first, ``limit`` at a time from ``after`` (a cursor this
    returned), those ``accept`` refuses left out.

    Calls: per round, one query per term (at most QUERY_TERMS_MAX), batch reads of the other
    terms' postings for the candidates no page covered (at most PROBE x terms keys) and of the
    matched requests; at most ROUNDS rounds. None of it depends on how many requests there are.
    A page may hold fewer than ``limit`` and still offer a next one when ROUNDS rounds found no more.
    """
    words = query_terms(keyword)
    if not words:
        return Found([], None)
    before = after if index.is_order(after) else None
    shown: list[Request] = []
    for _ in range(ROUNDS):
        candidates, more, reached = _candidates(words, company_id, before)
        for start in range(0, len(candidates), limit):
            chunk = candidates[start:start + limit]
            by_id = {r.request_id: r for r in Request.batch_get([Request.keys(index.request_id_of(o)) for o in chunk])}
            for order in chunk:
                request = by_id.get(index.request_id_of(order))
                # A posting of a request since deleted, or (never expected) of another company: skipped.
                if request is None or (company_id is not None and request.company_id != company_id):
                    continue
                if accept(request):
                    shown.append(request)
                    if len(shown) == limit:
                        last = order != candidates[-1] or more
                        return Found(shown, order if last else None)
        if not more:
            return Found(shown, None)
        before = reached
    return Found(shown, before)


def _candidates(words: list[str], company_id: str | None, before: str | None) -> tuple[list[str], bool, str | None]:
    """One round: the orders of the requests holding every term among the next PROBE postings
    of the rarest term, newest first, whether that term has older postings, and the order of the
    last posting read (where the next round starts)."""
    pages = {word: index.page(company_id, word, before=before, limit=PROBE) for word in words}
    # The rarest term's page reaches furthest back: a complete page (no older postings) with the
    # fewest entries, else the page whose last entry is the oldest.
    driver = min(words, key=lambda w: (pages[w][1], len(pages[w][0]) if not pages[w][1] else 0,
                                       pages[w][0][-1].order if pages[w][1] else ""))
    postings, more = pages[driver]
    seen = {word: {p.order for p in found} for word, (found, _) in pages.items()}
    # A term's page covers every order down to its last entry (all of them when complete).
    reach = {word: (found[-1].order if has_more else "") for word, (found, has_more) in pages.items()}
    unknown = [(posting, word) for posting in postings for word in words
               if word != driver and posting.order not in seen[word] and posting.order < reach[word]]
    held = index.present([index.Posting.keys(p.company_id, word, p.order) for p, word in unknown])
    keep = []
    for posting in postings:
        if all(word == driver or posting.order in seen[word]
               or (posting.order < reach[word] and index.Posting.keys(posting.company_id, word, posting.order) in held)
               for word in words):
            keep.append(posting.order)
    return keep, more, postings[-1].order if postings else before


# --- marking the matches -----------------------------------------------------------------------------

def marked(text: str, keyword: str) -> list[tuple[str, bool]]:
    """``text`` cut into (part, matched) where each term of ``keyword`` occurs (whole words for
    Latin, in the normalised text, so ＬＯＧＯ marks LOGO). Parts are plain text: the template
    escapes them and wraps the matched ones in <mark>."""
    words = set(tokens(keyword))
    if not words or not text:
        return [(text, False)] if text else []
    # The normalised text, one piece per original character, so spans map back.
    pieces = [normalize(char) for char in text]
    flat, owner = [], []
    for position, piece in enumerate(pieces):
        flat.append(piece)
        owner.extend([position] * len(piece))
    normal = "".join(flat)
    hit = [False] * len(text)
    for word in words:
        start = normal.find(word)
        while start != -1:
            end = start + len(word)
            whole = _kind(word[0]) == "cjk" or (
                (start == 0 or _kind(normal[start - 1]) != "word") and (end == len(normal) or _kind(normal[end]) != "word"))
            if whole:
                for i in range(start, end):
                    hit[owner[i]] = True
            start = normal.find(word, start + 1)
    parts: list[tuple[str, bool]] = []
    for char, flag in zip(text, hit):
        if parts and parts[-1][1] == flag:
            parts[-1] = (parts[-1][0] + char, flag)
        else:
            parts.append((char, flag))
    return parts


def snippet(text: str, keyword: str, *, width: int = SNIPPET) -> list[tuple[str, bool]]:
    """About ``width`` characters of ``text`` around its first match, marked (empty when none matches)."""
    parts = marked(text, keyword)
    if not any(flag for _, flag in parts):
        return []
    offset = 0
    for part, flag in parts:
        if flag:
            break
        offset += len(part)
    start = max(0, offset - width // 3)
    end = min(len(text), start + width)
    cut, position = [], 0
    for part, flag in parts:
        low, high = max(start, position), min(end, position + len(part))
        if low < high:
            cut.append((part[low - position:high - position], flag))
        position += len(part)
    if start > 0:
        cut.insert(0, ("…", False))
    if end < len(text):
        cut.append(("…", False))
    return cut
