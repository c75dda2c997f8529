"""DynamoDB calls per page at 10 and 10,000 requests in the company: the calls spent before the
page's own work (session, its account, the agency's settings) and the page's own; equal at both
sizes, and within the issue's goals (client 管理画面 6, every other page 5).

Fails (exit 1) when a page's calls grow with the data, when a page scans, or when a page misses its
goal by more than GOAL_MARGIN.
"""
from __future__ import annotations

import threading
import traceback
from collections import Counter

from bench import world as w

SIZES = (10, 10_000)
DASHBOARD_GOAL, PAGE_GOAL = 6, 5
GOAL_MARGIN = 1.25  # a goal missed by more than 25 % fails the bench

# A call made while one of these runs is spent before the page's own work: the request context
# (session, account, settings in one batch; the guards and the CSRF check ask it first) and the
# agency's settings the page frame shows. Anything else is the page's own.
_BEFORE = ("chalicelib/web/context.py", "chalicelib/services/agency.py")
# The inbox's filters run on its index query, up to INBOX_PAGE_READS pages a screen.
_INBOX = ("agency inbox", "agency inbox, this company")


class SplitCalls:
    """Counts this process's DynamoDB calls, each as spent before the page's work or by the page."""

    def __init__(self):
        from chalicelib.models.base import Item

        self.before, self.own, self.operations = 0, 0, Counter()
        self._events = Item._get_connection().connection.client.meta.events
        self._lock = threading.Lock()

    def _count(self, model, **_):
        before = any(frame.filename.endswith(_BEFORE) for frame in traceback.extract_stack())
        with self._lock:
            self.operations[model.name] += 1
            if before:
                self.before += 1
            else:
                self.own += 1

    def __enter__(self):
        self._events.register("before-call.dynamodb", self._count)
        return self

    def __exit__(self, *exc):
        self._events.unregister("before-call.dynamodb", self._count)

    @property
    def total(self) -> int:
        return self.before + self.own


def _calls(agent, url: str) -> SplitCalls:
    from tests.support.volume import steady_view

    agent.get(url)  # warm: the first view marks a request seen, later ones read the mark
    calls, response = steady_view(lambda: agent.get(url), SplitCalls)
    response.raise_for_status()
    return calls


def goal(name: str) -> int:
    return DASHBOARD_GOAL if name == "client 管理画面" else PAGE_GOAL


def run() -> str:
    from chalicelib.services import listings, workflow

    base = w.world().url
    counts: dict[str, dict[int, SplitCalls]] = {}
    for size in SIZES:
        one = w.make_scene(f"{size}件の会社")
        client = w.session(one.client_id, one.password)
        staff = w.session(one.staff_id, one.password)
        added = w.add_requests(one, size - 1)
        paths = {
            "client 管理画面": (client, "/"),
            "client request page": (client, f"/requests/{one.request_id}"),
            "client new request": (client, "/requests/new"),
            "client closed list": (client, f"/requests?status={workflow.DONE}"),
            "client points": (client, "/points"),
            "client accounts": (client, "/accounts"),
            "agency inbox": (staff, "/"),
            "agency request page": (staff, f"/requests/{one.request_id}"),
            "agency クライアント管理": (staff, "/clients"),
            "agency company page": (staff, f"/clients/{one.company_id}"),
            "agency staff list": (staff, "/staff"),
            "agency points": (staff, "/points"),
            "agency inbox, this company": (staff, f"/?company={one.company_id}"),
        }
        for name, (agent, path) in paths.items():
            counts.setdefault(name, {})[size] = _calls(agent, base + path)
        w.remove(added)  # later sections file requests, which the emulator slows down on a large table
    rows, problems = [], []
    small, large = SIZES
    for name, by_size in counts.items():
        a, b = by_size[small], by_size[large]
        rows.append([name, a.before, a.own, a.total, b.before, b.own, b.total, goal(name)])
        if a.operations.get("Scan") or b.operations.get("Scan"):
            problems.append(f"{name} scans")
        if name in _INBOX:
            if b.total > a.total + listings.INBOX_PAGE_READS:
                problems.append(f"{name}: {a.total} → {b.total} calls, past the index pages' cap")
            continue
        if b.total != a.total:
            problems.append(f"{name}: {a.total} → {b.total} calls as the data grew "
                            f"({dict(a.operations)} → {dict(b.operations)})")
        if b.total > goal(name) * GOAL_MARGIN:
            problems.append(f"{name}: {b.total} calls, goal {goal(name)}")
    section = "\n".join([
        "## DynamoDB calls per page",
        "",
        "Calls the app sends while rendering one page (counted on botocore's `before-call` event, the",
        "second view of the page), in a company with 10 and with 10,000 requests. *Before* is what the page",
        "spends before its own work (the session, its account and, once a minute, the agency's settings:",
        "one BatchGetItem); *own* is the page's. The goals are issue 18's (client 管理画面 6, others 5).",
        "",
        w.table(["page", "before (10)", "own (10)", "total (10)", "before (10,000)", "own (10,000)",
                 "total (10,000)", "goal"], rows),
        "",
        "The agency inbox filtered to one company reads the inbox index (every company, newest first) page",
        f"by page through the filter, at most {listings.INBOX_PAGE_READS} pages a screen: its count depends on",
        "what else the inbox holds, within that cap; no other page's count may move.",
    ])
    if problems:
        raise w.Failed(section + "\n\n**FAILED**: " + "; ".join(problems) + ".")
    return section
