"""CSRF on every state-changing route of the app, pages and JSON API alike.

Threat: another site (or a script holding a stale or foreign token) makes a signed-in user's
browser change something in Irai: file a request, deactivate an account, change a password.
The routes are read from the app's route table, so a route merged later is covered too.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.messages import t
from tests.support.walk import STATE_CHANGING, all_routes, fill


def _state_changing(app):
    return [(method, route) for method, route in all_routes(app) if method in STATE_CHANGING]


ATTACKS = {
    "no token": ({}, ""),
    "wrong token": ({}, "forged-token-0123456789"),
    "cross-site Origin": ({"Origin": "https://evil.example"}, None),
    "cross-site fetch": ({"Sec-Fetch-Site": "cross-site"}, None),
    "opaque Origin": ({"Origin": "null"}, None),
}


def _send(agent, method: str, path: str, headers: dict, token: str | None):
    """The change as a browser would send it: a form for pages, JSON with the header for /api/."""
    if path.startswith("/api/"):
        extra = {"Content-Type": "application/json", **headers}
        session = json.loads(agent.client.http.get("/api/session", headers=agent._headers()).body)
        extra["X-CSRF-Token"] = session.get("csrf_token", agent.cookies.get("irai_csrf", "")) if token is None else token
        if not extra["X-CSRF-Token"]:
            del extra["X-CSRF-Token"]
        call = getattr(agent.client.http, method.lower())
        return call(path, headers=agent._headers(extra), body=json.dumps({"body": "x", "title": "x"}))
    return agent.post(path, {"body": "x", "title": "x"}, headers=headers, token=token)


@pytest.mark.parametrize("role", ["anonymous", "client_admin"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_every_state_changing_route_refuses_forged_requests(app, sign_in, world, attack, role):
    """Threat: a forged change (no token, a wrong one, or sent from another site) is carried out.

    Every state-changing route of the app's route table is tried (the app is only importable once
    the emulator runs, hence one test per attack over all routes). The refusal must come from the
    CSRF check itself (its own message), before any view runs.
    """
    headers, token = ATTACKS[attack]
    routes = _state_changing(app)
    assert len(routes) > 20  # the walk really sees the route table
    agent = sign_in(role)  # a refused change changes nothing, so one session serves every route
    if role != "anonymous":
        agent.get("/requests/new")  # a page whose form carries the session's token
    wrong = []
    for method, route in routes:
        response = _send(agent, method, fill(route, world["ids"]), headers, token)
        text = response.body.decode()
        message = json.loads(text).get("message", "") if route.startswith("/api/") else text
        if response.status_code != 403 or t("csrf.failed") not in message:
            wrong.append((method, route, response.status_code, text[:200]))
    assert wrong == []


def test_a_token_of_another_session_is_refused(sign_in, world):
    """Threat: a token leaked from one session (another user's) authorising changes in this one."""
    victim, attacker = sign_in("client_member"), sign_in("client_admin")
    attacker.get("/requests/new")
    stolen = attacker.csrf_token()
    victim.get("/requests/new")
    response = victim.post(f"/requests/{world['request'].request_id}/comments", {"body": "forged"}, token=stolen)
    assert response.status_code == 403
    assert "forged" not in victim.text(victim.get(f"/requests/{world['request'].request_id}"))


def test_the_session_token_is_accepted_from_the_same_site(sign_in, world):
    """The checks above refuse forgeries, not honest changes: the same post with the token works."""
    agent = sign_in("client_member")
    agent.get(f"/requests/{world['request'].request_id}/comment")
    response = agent.post(f"/requests/{world['request'].request_id}/comments", {"body": "正規のコメント"},
                          headers={"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    assert "正規のコメント" in agent.text(agent.get(f"/requests/{world['request'].request_id}"))


@pytest.mark.parametrize("origin", ["https://127.0.0.1:8000", "http://127.0.0.1:8001", "http://127.0.0.1",
                                    "https://127.0.0.1", "http://127.0.0.1:8000.evil.example", "http://127.0.0.1:x"])
def test_an_origin_of_another_scheme_or_port_is_refused_on_the_http_site(sign_in, world, origin):
    """Threat: a page of another origin on the same host (plain HTTP next to HTTPS, another port:
    a different site to the browser, possibly another program) posting with the user's cookie."""
    agent = sign_in("client_member")
    path = f"/requests/{world['request'].request_id}"
    agent.get(f"{path}/comment")
    body = f"別オリジンから {origin}"
    response = agent.post(f"{path}/comments", {"body": body}, headers={"Origin": origin})
    assert response.status_code == 403 and t("csrf.failed") in agent.text(response)
    assert body not in agent.text(agent.get(path))


def test_a_plain_http_origin_is_refused_by_the_https_site(https_client):
    """Threat: a man in the middle on plain HTTP (http://the-site, which the HSTS-less first visit
    still reaches) serving a page that posts to the HTTPS site, whose host and port look alike."""
    from tests.support.agent import Agent

    def login_from(origin: str):
        agent = Agent(https_client, host="irai.example.co.jp")
        agent.get("/login")
        return agent.post("/login", {"user_id": "nobody-here", "password": "x" * 12}, headers={"Origin": origin})

    for origin in ("http://irai.example.co.jp", "http://irai.example.co.jp:443", "https://irai.example.co.jp:8443"):
        refused = login_from(origin)
        assert refused.status_code == 403 and t("csrf.failed") in refused.body.decode(), origin
    # The same form from the site itself is let through to the login check (which refuses the ID).
    for origin in ("https://irai.example.co.jp", "https://IRAI.example.co.jp:443"):
        assert login_from(origin).status_code == 401, origin
