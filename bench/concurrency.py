"""50 comments on one request and 50 new requests in one company, all at once, over HTTP.

Each POST comes from its own signed-in session, through the forms (CSRF token included), as 50
people clicking at the same moment would send it. The section then reads the table back: every
comment stored once, every request stored once with a number of its own. A broken invariant
fails `make bench`. Latency is compared with the same 50 POSTs sent one at a time.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter

import requests as http

from bench import world as w
from tests.support.volume import DynamoDBCalls

PEOPLE = 50


def _sessions(one: w.Scene, count: int):
    from chalicelib.models.users import CLIENT_MEMBER
    from chalicelib.models.companies import Company
    from tests.support.factories import make_client

    company = Company.find(one.company_id)
    people = [make_client(company, role=CLIENT_MEMBER) for _ in range(count)]
    return [w.session(person.user_id, one.password) for person in people]


def post_all(sessions, url_of, form_of, *, at_once: bool, during=contextlib.nullcontext):
    """POST one form per session, all released together if ``at_once``.

    Returns ([(seconds, status, Location) per POST], seconds for all, what ``during()`` entered
    as, around the POSTs only); a POST that got no answer has the error's name as its status.
    """
    results: list = [None] * len(sessions)
    tokens = [w.csrf_token(agent.get(url_of(index, "form")).text) for index, agent in enumerate(sessions)]
    barrier = threading.Barrier(len(sessions)) if at_once else None

    def post(index: int):
        agent = sessions[index]
        response = None

        def send():
            nonlocal response
            try:
                response = agent.post(url_of(index, "post"), data={**form_of(index), "csrf_token": tokens[index]},
                                      allow_redirects=False)
            except http.RequestException as error:  # counted as a refused POST, not lost in a thread
                response = error

        if barrier:
            barrier.wait()
        took = w.timed(send)
        if isinstance(response, Exception):
            results[index] = (took, type(response).__name__, "")
        else:
            results[index] = (took, response.status_code, response.headers.get("Location", ""))

    with during() as watched:
        started = time.perf_counter()
        if at_once:
            threads = [threading.Thread(target=post, args=(index,)) for index in range(len(sessions))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for index in range(len(sessions)):
                post(index)
        took = time.perf_counter() - started
    return results, took, watched


def _latency_row(name: str, runs: dict) -> list:
    (one_at_a_time, alone_wall, alone_calls), (at_once, together_wall, together_calls) = (
        runs["one at a time"], runs["at once"])
    alone = [took for took, _, _ in one_at_a_time]
    together = [took for took, _, _ in at_once]
    p95_alone, p95_together = w.percentile(alone, 0.95), w.percentile(together, 0.95)
    return [name, f"{w.percentile(alone, 0.5) * 1000:.0f}", f"{p95_alone * 1000:.0f}",
            f"{w.percentile(together, 0.5) * 1000:.0f}", f"{p95_together * 1000:.0f}",
            f"{p95_together / p95_alone:.1f}×", f"{together_wall / alone_wall:.2f}",
            f"{alone_calls.total / len(alone):.1f}", f"{together_calls.total / len(together):.1f}"]


def _comments(one: w.Scene) -> tuple[list, list[str]]:
    from chalicelib.models.users import User
    from chalicelib.services import listings

    base = w.world().url
    sessions = _sessions(one, PEOPLE)
    target = base + f"/requests/{one.request_id}"
    runs, problems = {}, []
    for mode in ("one at a time", "at once"):
        runs[mode] = post_all(
            sessions, lambda index, step: target if step == "form" else target + "/comments",
            lambda index, mode=mode: {"body": f"同時コメント {mode} {index}"},
            at_once=mode == "at once", during=DynamoDBCalls)
        refused = [status for _, status, _ in runs[mode][0] if status != 303]
        if refused:
            problems.append(f"comments {mode}: {len(refused)} POSTs answered {Counter(refused)}")
    staff = User.find(one.staff_id)
    stored = Counter(entry.body for entry in listings.view_request(staff, one.request_id).entries)
    sent = [f"同時コメント {mode} {index}" for mode in runs for index in range(PEOPLE)]
    missing = [body for body in sent if stored[body] == 0]
    doubled = [body for body in sent if stored[body] > 1]
    if missing or doubled:
        problems.append(f"comments: {len(missing)} missing, {len(doubled)} stored twice")
    verdict = (f"{sum(stored[body] for body in sent)} of {len(sent)} comments stored, each once "
               f"({PEOPLE} one at a time, then {PEOPLE} at once)")
    return [_latency_row("comment on one request", runs)], [verdict, *problems]


def _new_requests(one: w.Scene) -> tuple[list, list[str]]:
    from chalicelib.models.base import Item
    from chalicelib.models.requests import company_requests_partition

    base = w.world().url
    sessions = _sessions(one, PEOPLE)
    runs, problems = {}, []
    for mode in ("one at a time", "at once"):
        runs[mode] = post_all(
            sessions, lambda index, step: base + ("/requests/new" if step == "form" else "/requests"),
            lambda index, mode=mode: {"title": f"同時の依頼 {mode} {index}", "body": "本文です。"},
            at_once=mode == "at once", during=DynamoDBCalls)
        refused = [status for _, status, _ in runs[mode][0] if status != 303]
        if refused:
            problems.append(f"new requests {mode}: {len(refused)} POSTs answered {Counter(refused)}")
    stored = [item for item in Item.gsi1.query(company_requests_partition(one.company_id))]
    titles = Counter(item.title for item in stored)
    sent = [f"同時の依頼 {mode} {index}" for mode in runs for index in range(PEOPLE)]
    numbers = Counter(item.number for item in stored)
    expected = len(sent) + 1  # and the scene's own request
    if any(titles[title] != 1 for title in sent) or len(stored) != expected:
        problems.append(f"new requests: {len(stored)} stored for {expected} filed")
    if sorted(numbers) != list(range(1, expected + 1)) or any(count > 1 for count in numbers.values()):
        problems.append(f"new requests: numbers not 1..{expected} each once")
    verdict = (f"{sum(1 for title in sent if titles[title] == 1)} of {len(sent)} new requests stored, each once; "
               f"numbers {min(numbers)}..{max(numbers)}, {len(numbers)} distinct")
    return [_latency_row("new request in one company", runs)], [verdict, *problems]


def run() -> str:
    w.world()
    comment_rows, comment_notes = _comments(w.make_scene("株式会社同時コメント"))
    request_rows, request_notes = _new_requests(w.make_scene("株式会社同時依頼"))
    notes = comment_notes[:1] + request_notes[:1]
    problems = comment_notes[1:] + request_notes[1:]
    section = "\n".join([
        "## 50 at once",
        "",
        f"{PEOPLE} client accounts of one company, each signed in with its own session, POST the form",
        f"one at a time, then all {PEOPLE} released together (a thread each). Latency per POST, at the client.",
        "",
        w.table(["action", "alone p50 ms", "alone p95 ms", "at once p50 ms", "at once p95 ms",
                 "p95 at once / alone", "all 50: time at once / one at a time",
                 "DynamoDB calls per POST alone", "at once"], comment_rows + request_rows),
        "",
        "Locally the app, its server and the emulator share one Python process on a shared machine, and",
        "the emulator applies one DynamoDB call at a time (a lock), so 50 at once queue behind each other",
        "and the last waits for most of the others: p95 at once is many times one alone, and 50 threads",
        "in one interpreter add their own overhead to the total time. DynamoDB calls per POST, counted",
        "in the same run, show the work itself: equal alone and at once means no conflict retries.",
        "",
        *[f"- {note}" for note in notes],
        *[f"- **FAILED**: {problem}" for problem in problems],
    ])
    if problems:
        raise w.Failed(section)
    return section
