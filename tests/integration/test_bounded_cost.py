"""A page costs the same small number of DynamoDB calls whatever the data volume, and no scan."""
from __future__ import annotations

import pytest

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import listings, requests, workflow
from tests.support.agent import Agent
from tests.support.factories import PASSWORD, make_client, make_company, make_request, make_user
from tests.support.volume import DynamoDBCalls, seed


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
    # The dashboard is the dearest: session, agency settings, the four status groups and their
    # seen marks, the 見積 of the listed requests (ご対応のお願い), and the points panel
    # (contract, balance, newest ledger entries): 12 calls.
    assert sum(counts[1000].values()) <= 12, counts


def test_agency_inbox_costs_the_same_at_10_and_1000_requests(client, worlds):
    counts = {}
    for size in (10, 1000):
        calls = _calls(client, worlds["staff"], f"/?company={worlds[size]['company'].company_id}")
        assert "Scan" not in calls.operations
        counts[size] = calls.total
    # The inbox reads at most INBOX_PAGE_READS index pages; the company filter may need all of them.
    assert counts[1000] <= counts[10] + listings.INBOX_PAGE_READS
    assert counts[1000] <= 12


def test_client_list_costs_the_same_however_many_companies_and_requests(client, worlds):
    """クライアント管理 shows each company's contract, balance and open requests without a call per company."""
    before = _calls(client, worlds["staff"], "/clients")
    for index in range(5):
        company = make_company(f"追加の会社 {index}")
        seed(company, make_client(company, role=CLIENT_ADMIN), 3)
    after = _calls(client, worlds["staff"], "/clients")
    assert "Scan" not in after.operations
    assert after.operations == before.operations, (before.operations, after.operations)
    # session, agency settings, the page of companies, their balances and their open counts.
    assert after.total <= 6, after.operations
