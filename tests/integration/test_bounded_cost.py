"""A page costs the same small number of DynamoDB calls whatever the data volume, and no scan.

Every call of the process is counted (tests/support/volume.py, on the one botocore client all item
types share: chalicelib/models/base.py). Goals (issue 18): the client's 管理画面 at most 6 calls,
every other page at most 5, the same at small and larger data; a signed-in page spends one call
before its own work (the session, its account and, when due, the agency's settings, in one batch).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.models.agency import AgencySettings
from chalicelib.models.notifications import SENT, Notification
from chalicelib.models.sessions import Session
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import listings, notifications, requests, workflow
from tests.support import walk
from tests.support.agent import Agent
from tests.support.factories import PASSWORD, make_client, make_company, make_request, make_user
from tests.support.volume import DynamoDBCalls, seed, steady_view

DASHBOARD_GOAL = 6  # the client's 管理画面
PAGE_GOAL = 5       # every other page


@pytest.fixture(scope="module")
def worlds(aws):
    """A small company (10 requests) and a large one (1,000), each with a request to open."""
    result = {}
    for size in (10, 1000):
        company = make_company(f"{size}件の会社")
        asker = make_client(company, role=CLIENT_ADMIN)
        seed(company, asker, size - 1)
        opened = make_request(asker, title="開く依頼")
        for index in range(3):
            requests.add_comment(asker, opened.request_id, f"コメント {index}")
        result[size] = {"company": company, "asker": asker, "request": opened}
    result["staff"] = make_user(role=AGENCY_STAFF)
    return result


def _signed_in(client, user) -> Agent:
    agent = Agent(client)
    agent.login(user.user_id, PASSWORD)
    return agent


def _calls(client, user, path: str, agent: Agent | None = None) -> DynamoDBCalls:
    agent = agent or _signed_in(client, user)
    agent.get(path)  # warm: the first view marks the request seen, later ones read the mark
    calls, response = steady_view(lambda: agent.get(path))
    assert response.status_code == 200, agent.text(response)[:500]
    return calls


@pytest.mark.parametrize("page", ["dashboard", "request", "closed list", "new request", "points", "accounts"])
def test_client_pages_cost_the_same_at_10_and_1000_requests(client, worlds, page):
    counts = {}
    for size in (10, 1000):
        world = worlds[size]
        path = {"dashboard": "/", "request": f"/requests/{world['request'].request_id}",
                "closed list": f"/requests?status={workflow.DONE}", "new request": "/requests/new",
                "points": "/points", "accounts": "/accounts"}[page]
        calls = _calls(client, world["asker"], path)
        assert "Scan" not in calls.operations
        counts[size] = calls.operations
    assert counts[10] == counts[1000], counts
    goal = DASHBOARD_GOAL if page == "dashboard" else PAGE_GOAL
    assert sum(counts[1000].values()) <= goal, counts


def test_the_client_dashboard_is_the_session_batch_four_groups_and_one_batch(client, worlds):
    """The 管理画面: the session batch, one query per open status, and one batch of the seen marks,
    the 見積 and the balance (which carries the contract's terms and the newest ledger entries)."""
    calls = _calls(client, worlds[1000]["asker"], "/")
    assert calls.operations == {"BatchGetItem": 2, "Query": len(workflow.OPEN)}, calls.operations


def test_agency_inbox_costs_the_same_at_10_and_1000_requests(client, worlds):
    counts = {}
    for size in (10, 1000):
        calls = _calls(client, worlds["staff"], f"/?company={worlds[size]['company'].company_id}")
        assert "Scan" not in calls.operations
        counts[size] = calls.total
    # The inbox reads at most INBOX_PAGE_READS index pages; the company filter may need all of them.
    assert counts[1000] <= counts[10] + listings.INBOX_PAGE_READS
    # The session batch, the index pages and the seen marks; the company and staff choices are kept.
    assert counts[1000] <= 2 + listings.INBOX_PAGE_READS


def test_agency_pages_cost_at_most_five_calls(client, worlds):
    for path in ("/", f"/requests/{worlds[1000]['request'].request_id}", "/clients", "/staff", "/points"):
        calls = _calls(client, worlds["staff"], path)
        assert "Scan" not in calls.operations
        assert calls.total <= PAGE_GOAL, (path, calls.operations)


def test_client_list_costs_the_same_however_many_companies_and_requests(client, worlds):
    """クライアント管理 shows each company's contract, balance and open requests without a call per company."""
    before = _calls(client, worlds["staff"], "/clients")
    for index in range(5):
        company = make_company(f"追加の会社 {index}")
        seed(company, make_client(company, role=CLIENT_ADMIN), 3)
    after = _calls(client, worlds["staff"], "/clients")
    assert "Scan" not in after.operations
    assert after.operations == before.operations, (before.operations, after.operations)
    # The session batch, the page of companies, and one batch of their balances and open counts.
    assert after.operations == {"BatchGetItem": 2, "Query": 1}, after.operations


@pytest.fixture(scope="module")
def walked(aws, app):
    """The walk's world (every page has something to show), for the route-table test below."""
    return walk.build_world()


def _page_calls(app, client, world) -> dict[tuple[str, str], int]:
    """Calls of the second view of every HTML page each role can open (walking the route table)."""
    counts = {}
    for role in walk.SIGNED_IN_ROLES:
        agent = _signed_in(client, world["people"][role])
        for path in walk.get_pages(app, agent, world["ids"]):
            # The first view warms what the page keeps per container (for 60 s: the walk of the
            # large world starts minutes after the small one) and marks what it marks seen.
            agent.get(path)
            calls, response = steady_view(lambda: agent.get(path))
            assert response.status_code == 200, (role, path)
            assert "Scan" not in calls.operations, (role, path)
            counts[(role, path)] = calls.total
    return counts


def test_every_page_of_every_role_stays_within_its_goal_and_flat_as_data_grows(app, client, walked):
    """Every GET page of the route table, for every role: within its goal, and the same count after
    the company gains 300 requests and the opened request a longer thread and mail history."""
    company, people = walked["company"], walked["people"]
    seed(company, people["client_admin"], 10, first_number=100)  # a few of every status: no list is empty
    small = _page_calls(app, client, walked)
    assert small, "the walk found no pages"
    request_id = walked["request"].request_id
    for index in range(12):
        requests.add_comment(people["agency_staff"] if index % 2 else people["client_admin"], request_id,
                             f"追加のコメント {index}")
    seed(company, people["client_admin"], 300, first_number=1000)
    large = _page_calls(app, client, walked)
    over = {page: count for page, count in large.items()
            if count > (DASHBOARD_GOAL if page in {("client_admin", "/"), ("client_member", "/")} else PAGE_GOAL)}
    assert not over, "\n".join(f"{role} {path}: {count}" for (role, path), count in sorted(over.items()))
    # The agency's inbox is the one page whose count may move: its filters run on the index query,
    # which reads up to INBOX_PAGE_READS pages to fill a screen (its own test above pins that cap).
    inbox = {(role, "/") for role in ("agency_admin", "agency_staff")}
    grown = {page: (small[page], large[page]) for page in small if large.get(page) != small[page]
             and not (page in inbox and large[page] <= small[page] + listings.INBOX_PAGE_READS - 1)}
    assert not grown, "\n".join(f"{role} {path}: {a} -> {b}" for (role, path), (a, b) in sorted(grown.items()))


def test_every_signed_in_page_spends_one_call_before_its_own_work(client, worlds):
    """The password page does nothing of its own: what it costs is what every signed-in page spends
    first (the session and its account in one batch; the agency's settings ride along when due)."""
    agent = _signed_in(client, worlds[10]["asker"])
    calls = _calls(client, None, "/password", agent)
    assert calls.operations == {"BatchGetItem": 1}, calls.operations


def test_pages_do_not_read_the_agency_settings_each_time_and_see_their_writers_change(client, worlds):
    """The settings are kept per container: the login page (no session batch to ride in) reads
    them once, not per view; a change saved here shows on the very next page."""
    anonymous = Agent(client)
    anonymous.get("/login")
    with DynamoDBCalls() as calls:
        for _ in range(3):
            assert anonymous.get("/login").status_code == 200
    assert calls.total == 0, calls.operations
    settings = AgencySettings.load()
    before = settings.phone
    # A number no other test saves (another file of this worker may have left any fixed one stored).
    marker = f"03-{secrets.randbelow(10_000):04d}-{secrets.randbelow(10_000):04d}"
    assert marker != before
    settings.phone = marker
    settings.save()
    try:
        assert marker in anonymous.text(anonymous.get("/login"))
        client_agent = _signed_in(client, worlds[10]["asker"])
        assert marker in client_agent.text(client_agent.get("/"))
    finally:
        settings = AgencySettings.load()
        settings.phone = before
        settings.save()
    assert marker not in anonymous.text(anonymous.get("/login"))


def test_a_session_from_before_the_token_named_its_account_still_signs_in(client, worlds):
    """Cookies issued before the token carried the user ID keep working (two reads instead of one)."""
    user = worlds[10]["asker"]
    token = secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    Session.new(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=user.user_id,
                csrf_token=secrets.token_urlsafe(32), session_epoch=user.session_epoch, created_at=now,
                last_seen_at=now, absolute_expires_at=now + timedelta(hours=1),
                expires_at=int((now + timedelta(hours=1)).timestamp())).save()
    agent = Agent(client)
    agent.cookies["irai_session"] = token
    assert agent.get("/").status_code == 200
    assert user.name in agent.text(agent.last)
    agent.cookies["irai_session"] = token + "." + worlds[1000]["asker"].user_id  # another's ID does not help
    assert agent.get("/").status_code == 303


def test_the_request_page_lists_a_bounded_page_of_its_mail(client, worlds):
    """A request told many people many times shows its newest MAIL_SHOWN notifications, not all."""
    request = worlds[10]["request"]
    staff = worlds["staff"]
    start = datetime.now(timezone.utc) - timedelta(days=1)
    with Notification.batch_write() as batch:
        for index in range(notifications.MAIL_SHOWN + 30):
            event_id = f"01{index:024d}"
            n = Notification(*Notification.keys(request.request_id, event_id, staff.user_id),
                             request_id=request.request_id, event_id=event_id, recipient_id=staff.user_id,
                             event="comment", relation="staff", recipient_name="担当", status=SENT,
                             created_at=start + timedelta(seconds=index))
            batch.save(n)
    page = _signed_in(client, staff)
    text = page.text(page.get(f"/requests/{request.request_id}"))
    shown = re.search(r"送信履歴\((\d+)件\)", text)
    assert shown and int(shown.group(1)) == notifications.MAIL_SHOWN, shown
