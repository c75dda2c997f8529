"""GET /health: what an uptime monitor or the deploy check calls.

Threat: a probe that leaks configuration or errors to strangers, or that says "ok" while the
table cannot be reached.
"""
from __future__ import annotations

import json

from localdev.emulator import FAULTS


def test_health_is_anonymous_cheap_and_says_only_ok(client):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no session, no CSRF cookie for a probe


def test_health_reports_an_unreachable_table_as_503_without_details(client):
    FAULTS.fail("dynamodb", "GetItem", "InternalServerError", status=500)
    try:
        response = client.http.get("/health")
    finally:
        FAULTS.clear()
    assert response.status_code == 503
    assert json.loads(response.body) == {"status": "unavailable"}
    assert client.http.get("/health").status_code == 200
