"""Hostile values (tests/support/hostile.py) in everything a user can type or send: no 500, ever.

Threat: a value Python reads more generously than the form means (``"²".isdigit()`` is true and
``int("²")`` raises; ``Decimal`` reads ``1e3`` and ``NaN`` and fails past 28 digits; Python 3.11's
``date.fromisoformat`` reads week dates), JSON nested until the parser's recursion gives up, a
pagination cursor edited by hand, or a form naming row 200,000: each crashed a handler into a 500
(or rendered for a minute), which any signed-in user could do on any id, and which hides the
message a person needs. Every such input gets the page's or the API's usual 4xx answer.

The walks read what they send from the app itself: the forms and their fields from the pages each
role can open, the query parameters from the code of chalicelib/web, the API's properties from
/api/openapi.json, so a field, parameter or property added later is walked without editing this.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.messages import t
from chalicelib.models.base import encode_cursor
from chalicelib.models.requests import INBOX, company_requests_partition
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request
from tests.support.hostile import CLASSES, VALUES, one_of_each_class

JSON_TYPE = "application/json"


def _api_raw(agent, method: str, path: str, body: bytes):
    token = json.loads(agent.get("/api/session").body)["csrf_token"]
    headers = agent._headers({"Content-Type": JSON_TYPE, "X-CSRF-Token": token})
    return agent.client.http.request(method, path, body=body, headers=headers)


def _api_message(response) -> str:
    assert response.headers.get("Content-Type", "").startswith(JSON_TYPE)
    return json.loads(response.body)["message"]


# --- JSON bodies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["array", "object", "mixed", "in a string is fine"])
def test_deeply_nested_json_gets_the_usual_400(sign_in, world, shape):
    """JSON nested 100,000 deep made json.loads raise RecursionError (a 500). It is refused with the
    message for an unreadable body, before the parser recurses; nesting inside a string is text."""
    agent = sign_in("client_admin")
    depth = 100_000  # the array's; the others as deep as fits under the body limit (256 KB)
    body = {"array": "[" * depth + "]" * depth,
            "object": '{"a":' * 40_000 + "1" + "}" * 40_000,
            "mixed": '{"title":' + '[{"a":' * 30_000 + "1" + "}]" * 30_000 + "}",
            "in a string is fine": json.dumps({"title": "[" * 1000 + "{" * 1000})}[shape]
    for method, path in (("POST", "/api/requests"), ("PATCH", f"/api/requests/{world['request'].request_id}"),
                         ("POST", f"/api/requests/{world['request'].request_id}/comments")):
        response = _api_raw(agent, method, path, body.encode())
        assert response.status_code == 400, (method, path, response.body[:200])
        if shape != "in a string is fine":
            assert _api_message(response) == t("form.bad_request")


@pytest.mark.parametrize("revision", [True, False, 1.0, 10 ** 40, -(10 ** 40), "1", None, [1]])
def test_a_revision_is_a_json_integer_and_nothing_else(sign_in, world, revision):
    """``True`` is an int to Python, so {"revision": true} passed as revision 1; a 40-digit integer
    is past what DynamoDB stores, and failed in its condition. Each is refused as the wrong type."""
    agent = sign_in("agency_admin")
    response = agent.api("PATCH", f"/api/requests/{world['request'].request_id}", {"revision": revision, "memo": "x"})
    assert response.status_code == 400, response.body
    assert _api_message(response) == t("api.bad_type", name="revision")


# --- pagination cursors --------------------------------------------------------------------------

def _tampered(partition_key: str, partition: str, sort_key: str) -> dict[str, str]:
    """Cursors with the right partition but the wrong set of key attributes or types."""
    full = {"PK": {"S": "REQUEST#x"}, "SK": {"S": "META"}, partition_key: {"S": partition},
            sort_key: {"S": "9#2026#x"}}
    variants = {
        "no SK": {k: v for k, v in full.items() if k != "SK"},
        "no PK": {k: v for k, v in full.items() if k != "PK"},
        "no index sort key": {k: v for k, v in full.items() if k != sort_key},
        "only the partition": {partition_key: {"S": partition}},
        "an extra attribute": {**full, "extra": {"S": "x"}},
        "a number": {**full, "SK": {"N": "1"}},
        "an empty key": {**full, "PK": {"S": ""}},
        "a list": {**full, "SK": {"S": ["x"]}},
        "outside the query": {**full, sort_key: {"S": "zzz"}},
    }
    return {label: encode_cursor(key) for label, key in variants.items()}


def test_a_tampered_cursor_starts_from_the_first_page(sign_in, world):
    """decode_cursor promised that a tampered cursor starts over; a cursor with the right
    partition but missing, extra or mistyped key attributes reached DynamoDB and came back a 500."""
    company_id = world["company"].company_id
    client_partition = company_requests_partition(company_id)
    lists = [
        ("agency_admin", "/?after={}", _tampered("GSI2PK", INBOX, "GSI2SK")),
        ("agency_admin", "/api/requests?after={}", _tampered("GSI2PK", INBOX, "GSI2SK")),
        ("agency_admin", "/clients?after={}", _tampered("GSI1PK", "COMPANIES", "GSI1SK")),
        ("client_admin", "/requests?after={}", _tampered("GSI1PK", client_partition, "GSI1SK")),
        ("client_admin", "/api/requests?status=done&after={}", _tampered("GSI1PK", client_partition, "GSI1SK")),
    ]
    wrong = []
    for role, path, cursors in lists:
        agent = sign_in(role)
        first = agent.get(path.format(""))
        assert first.status_code == 200, path
        for label, cursor in cursors.items():
            response = agent.get(path.format(cursor))
            if response.status_code != 200:
                wrong.append((path, label, response.status_code))
            elif path.startswith("/api/") and json.loads(response.body)["requests"] != json.loads(first.body)["requests"]:
                wrong.append((path, label, "not the first page"))
    assert wrong == []


# --- the estimate form ---------------------------------------------------------------------------

ROW_NAMES = ["qty_²", "menu_²", "name_٣", "points_①", "qty_" + "9" * 5000, "menu_1e3", "qty_-1"]


def test_estimate_row_names_of_another_company_answer_404(client, world):
    """The estimate form was parsed before any permission check: ``qty_²`` crashed int() for any
    signed-in user on any request id. Another company's users now get the 404 of any such id."""
    other = make_company("よその会社")
    outsiders = [make_client(other, role="client_admin"), make_client(other)]
    for user in outsiders:
        agent = signed_in(client, user)
        for name in ROW_NAMES:
            response = agent.post(f"/requests/{world['request'].request_id}/estimate",
                                  {name: "1", "estimate_version": "²"})
            assert response.status_code == 404, (user.role, name, response.status_code)


@pytest.mark.parametrize("name", ROW_NAMES)
def test_estimate_row_names_on_the_own_request_are_a_400(sign_in, world, name):
    """The agency's own estimate form with a hostile row name: refused with the form's message."""
    agent = sign_in("agency_staff")
    agent.get(f"/requests/{world['request'].request_id}")
    response = agent.post(f"/requests/{world['request'].request_id}/estimate",
                          {name: "1", "estimate_version": "1"})
    assert response.status_code == 400, response.status_code
    assert 'role="alert"' in agent.text(response)


def test_a_refused_estimate_form_renders_at_most_its_row_limit(sign_in, world):
    """``menu_200000`` made the refused form render 200,000 rows (238 MB, 87 s): the rows shown
    again are capped like the rows read, by the form's own maximum."""
    from chalicelib.web.estimate_panel import ESTIMATE_ROWS_MAX

    agent = sign_in("agency_staff")
    agent.get(f"/requests/{world['request'].request_id}")
    response = agent.post(f"/requests/{world['request'].request_id}/estimate",
                          {"menu_0": "unknown-item", "menu_200000": "", "estimate_version": "1"})
    assert response.status_code == 400
    rows = set(re.findall(r'name="menu_(\d+)"', agent.text(response)))
    assert 0 < len(rows) <= ESTIMATE_ROWS_MAX


# --- statement months ----------------------------------------------------------------------------

MONTHS = ["2026-13", "2026-00", "0000-00", "２０２６-１２", "2026-²1", "²026-01", "2026-0٣", "2026-1", "202612",
          "2026-12-01", "2026-W05", "1999-12", "9" * 5000]


@pytest.mark.parametrize("role,base", [("client_admin", "/points/statement"),
                                       ("agency_admin", "/clients/{company_id}/statement")])
def test_a_statement_month_outside_yyyy_mm_is_a_400_on_the_page_and_the_csv(sign_in, world, role, base):
    """A month other than ``YYYY-MM`` (ASCII digits, a real month) answers 400 with the month's
    message, on the page as on the CSV; full-width digits are refused on both (the month comes
    from <input type="month"> and the pages' links, never typed)."""
    agent = sign_in(role)
    base = base.format(company_id=world["company"].company_id)
    assert agent.get(f"{base}?month=2026-12").status_code == 200
    wrong = []
    for month in MONTHS:
        for path in (base, f"{base}.csv"):
            response = agent.get(f"{path}?month={month}")
            if response.status_code != 400 or t("statement.month") not in agent.text(response):
                wrong.append((path, month[:20], response.status_code))
    assert wrong == []
