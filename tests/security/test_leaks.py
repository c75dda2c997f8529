"""What one side learns about the other from what it is shown.

Threat: a client reading a login ID of the agency's people (in JSON, a page, a hidden field or a
data-* attribute) holds half of what signing in as them needs, and can aim guesses or a lockout
at them. Every GET page and API route of the app's route table is opened as each client role,
on a request the agency has taken, assigned, commented, estimated and memoed, and on accounts
the agency created; no body may hold an agency login ID. Routes added later are walked too.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.services import requests, workflow
from tests.support.accounts import signed_in
from tests.support.walk import all_routes, build_world, fill, get_pages

CLIENT_ROLES = ("client_admin", "client_member")


@pytest.fixture(scope="module")
def touched(aws):
    """A world of its own whose request carries every trace of the agency's people."""
    world = build_world()
    staff, admin = world["people"]["agency_staff"], world["people"]["agency_admin"]
    request_id = world["request"].request_id
    requests.update_request(staff, request_id, requests.RequestChanges(
        status=workflow.IN_PROGRESS, assignee_id=staff.user_id, memo="社内メモ"), revision=0)
    requests.add_comment(staff, request_id, "担当からのコメント")
    requests.add_comment(admin, request_id, "管理者からのコメント")
    requests.update_request(admin, request_id, requests.RequestChanges(assignee_id=admin.user_id), revision=1)
    return world


def _bodies(app, agent, ids) -> dict[str, str]:
    bodies = dict(get_pages(app, agent, ids))
    for method, route in all_routes(app):
        if method == "GET" and route.startswith("/api/"):
            path = fill(route, ids)
            bodies[path] = agent.text(agent.get(path))
    for status in workflow.STATUS_ORDER:  # the lists by status, as pages and as JSON
        for path in (f"/requests?status={status}", f"/api/requests?status={status}"):
            bodies[path] = agent.text(agent.get(path))
    return bodies


@pytest.mark.parametrize("role", CLIENT_ROLES)
def test_a_client_never_sees_a_login_id_of_the_agency(app, client, touched, role):
    agency_ids = [touched["people"][name].user_id.lower() for name in ("agency_admin", "agency_staff")]
    agent = signed_in(client, touched["people"][role])
    bodies = _bodies(app, agent, touched["ids"])
    request_page = bodies[f"/requests/{touched['request'].request_id}"]
    assert "担当からのコメント" in request_page and "代理店 管理者" in request_page  # the walk saw the traces
    assert f"/api/requests/{touched['request'].request_id}" in bodies
    leaks = [(path, user_id) for path, body in bodies.items() for user_id in agency_ids if user_id in body.lower()]
    assert leaks == []


def test_the_agency_still_sees_who_did_what(client, touched):
    """The agency administers every account: its own answers keep the IDs it works with."""
    staff = touched["people"]["agency_staff"]
    agent = signed_in(client, staff)
    read = agent.api("GET", f"/api/requests/{touched['request'].request_id}")
    answer = json.loads(read.body)
    assert answer["request"]["assignee_id"] == touched["people"]["agency_admin"].user_id
    assert staff.user_id in {entry["author_id"] for entry in answer["thread"]}
