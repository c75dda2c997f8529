"""A page costs the same small number of DynamoDB calls whatever the data volume, and no scan."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.models.base import Item
from chalicelib.models.companies import Company
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import requests, workflow
from tests.support.agent import Agent
from tests.support.factories import PASSWORD, make_client, make_company, make_request, make_user

STATUSES = (workflow.NEW, workflow.IN_PROGRESS, workflow.WAITING, workflow.ON_HOLD, workflow.DONE)


def seed(company: Company, asker, count: int) -> None:
    """``count`` requests written straight to the table (filing them one by one would take minutes)."""
    start = datetime.now(timezone.utc) - timedelta(days=30)
    with Request.batch_write() as batch:
        for index in range(count):
            at = start + timedelta(minutes=index)
            batch.save(Request.new(
                company_id=company.company_id, company_name=company.name, number=index + 1,
                title=f"既存の依頼 {index}", body="本文", status=STATUSES[index % len(STATUSES)],
                requester_id=asker.user_id, requester_name=asker.name, created_at=at, last_activity_at=at,
                search_text=f"既存の依頼 {index}"))
    Company(*Company.keys(company.company_id)).update(actions=[Company.request_counter.set(count)])


class DynamoDBCalls:
    """Counts the DynamoDB operations this process sends, by name."""

    def __init__(self):
        self.operations: Counter = Counter()
        self._events = Item._get_connection().connection.client.meta.events

    def _count(self, model, **_):
        self.operations[model.name] += 1

    def __enter__(self):
        self.operations.clear()
        self._events.register("before-call.dynamodb", self._count)
        return self

    def __exit__(self, *exc):
        self._events.unregister("before-call.dynamodb", self._count)

    @property
    def total(self) -> int:
        return sum(self.operations.values())


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


def _calls(client, user, path: str) -> DynamoDBCalls:
    agent = Agent(client)
    agent.login(user.user_id, PASSWORD)
    agent.get(path)  # warm: the first view marks the request seen, later ones rewrite the mark
    with DynamoDBCalls() as calls:
        response = agent.get(path)
    assert response.status_code == 200, agent.text(response)[:500]
    return calls


@pytest.mark.parametrize("page", ["dashboard", "request", "closed list"])
def test_client_pages_cost_the_same_at_10_and_1000_requests(client, worlds, page):
    counts = {}
    for size in (10, 1000):
        world = worlds[size]
        path = {"dashboard": "/", "request": f"/requests/{world['request'].request_id}",
                "closed list": f"/requests?status={workflow.DONE}"}[page]
        calls = _calls(client, world["asker"], path)
        assert "Scan" not in calls.operations
        counts[size] = calls.operations
    assert counts[10] == counts[1000], counts
    assert sum(counts[1000].values()) <= 10, counts


def test_agency_inbox_costs_the_same_at_10_and_1000_requests(client, worlds):
    counts = {}
    for size in (10, 1000):
        calls = _calls(client, worlds["staff"], f"/?company={worlds[size]['company'].company_id}")
        assert "Scan" not in calls.operations
        counts[size] = calls.total
    # The inbox reads at most INBOX_PAGE_READS index pages; the company filter may need all of them.
    assert counts[1000] <= counts[10] + requests.INBOX_PAGE_READS
    assert counts[1000] <= 12
