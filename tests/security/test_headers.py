"""Security headers on every response: pages of every role, errors, refusals, static files, API.

Threat: a page framed by another site (clickjacking), a response sniffed into script, an
injected inline script running, a signed-in page kept in a shared computer's cache.
"""
from __future__ import annotations

import json

import pytest
from requests.structures import CaseInsensitiveDict

from tests.support.walk import SIGNED_IN_ROLES, all_routes, fill

ROLES = ("anonymous", *SIGNED_IN_ROLES)


def assert_secure_headers(response, where) -> None:
    headers = CaseInsensitiveDict(response.headers)
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, where
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy, where
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert headers.get("cross-origin-opener-policy") == "same-origin", where


@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_answers_with_the_security_headers(app, sign_in, world, role):
    """Every GET route of the route table, as each role (whatever it answers: page, redirect, 404)."""
    agent = sign_in(role)
    routes = [route for method, route in all_routes(app) if method == "GET"]
    assert len(routes) > 20
    for route in routes:
        path = fill(route, world["ids"])
        response = agent.get(path)
        assert_secure_headers(response, (role, path, response.status_code))
        cache = response.headers.get("cache-control", "")
        if route.startswith("/static/") and response.status_code == 200:
            assert "immutable" in cache, path
        elif response.status_code == 200 and route != "/api/openapi.json":
            assert cache == "no-store", (role, path, cache)  # nothing personal stays in a cache


def test_errors_and_refusals_carry_the_security_headers(sign_in, world):
    """Error pages are pages too: a 404, 403, 400, 405, 415 and the API's errors."""
    agent = sign_in("client_member")
    request_path = f"/requests/{world['request'].request_id}"
    session = json.loads(agent.get("/api/session").body)
    cases = {
        "unknown request": agent.get("/requests/00000000000000000000000000"),
        "forbidden page": agent.get("/staff/new"),
        "csrf refusal": agent.post(f"{request_path}/comments", {"body": "x"}, token="forged"),
        "unreadable form": agent.client.http.post(f"{request_path}/comments", body=b"body=%ff&csrf_token=x",
                                                  headers=agent._headers({"Content-Type": "application/x-www-form-urlencoded"})),
        "api 404": agent.get("/api/requests/00000000000000000000000000"),
        "api 401": agent.client.http.get("/api/session"),
        "api bad json": agent.client.http.post("/api/requests", body=b"{", headers=agent._headers(
            {"Content-Type": "application/json", "X-CSRF-Token": session["csrf_token"]})),
        "api wrong type": agent.client.http.post("/api/requests", body=b"title=x", headers=agent._headers(
            {"Content-Type": "text/plain", "X-CSRF-Token": session["csrf_token"]})),
        "wrong method": agent.client.http.request("DELETE", request_path, headers=agent._headers(
            {"X-CSRF-Token": session["csrf_token"]})),
        "static 404": agent.get("/static/css/nothing.000000000000.css"),
    }
    for name, response in cases.items():
        assert response.status_code >= 400, (name, response.status_code)
        assert_secure_headers(response, name)


def test_over_https_responses_demand_https_and_cookies_are_host_bound(https_client):
    """Threat: a first visit over plain HTTP (SSL stripping), or a cookie set for a sibling domain."""
    for path in ("/login", "/api/openapi.json", "/requests"):
        response = https_client.http.get(path, headers={"Host": "irai.example.co.jp"})
        hsts = CaseInsensitiveDict(response.headers).get("strict-transport-security", "")
        assert "max-age=63072000" in hsts and "includeSubDomains" in hsts, path
    cookie = CaseInsensitiveDict(https_client.http.get("/login").headers)["set-cookie"]
    cookie = cookie if isinstance(cookie, str) else cookie[0]
    assert cookie.startswith("__Host-irai_csrf=") and "Secure" in cookie and "HttpOnly" in cookie


def _comparable(response) -> dict[str, str]:
    """The headers of an answer, without what differs between two renders of one page: the
    cookie values (their names stay) and the signature of a presigned S3 URL (its path stays)."""
    headers = {name.lower(): value for name, value in CaseInsensitiveDict(response.headers).items()}
    cookies = headers.pop("set-cookie", None)
    if cookies is not None:
        headers["set-cookie"] = sorted(c.split("=", 1)[0] for c in (cookies if isinstance(cookies, list) else [cookies]))
    if headers.get("location", "").startswith("http"):
        headers["location"] = headers["location"].split("?", 1)[0]
    headers.pop("content-length", None)
    return headers


@pytest.mark.parametrize("role", ROLES)
def test_head_answers_every_get_route_like_get_without_a_body(app, sign_in, world, role):
    """Threat: HEAD (link checkers, monitors, caches) getting another answer than GET: an error
    page without the security headers, or a 200 where GET refuses (a check done only for GET).

    Every GET route of the route table has a HEAD that answers with GET's status and headers,
    Content-Length the size of GET's body, and no body.
    """
    agent = sign_in(role)
    routes = [route for method, route in all_routes(app) if method == "GET"]
    assert len(routes) > 20
    wrong = []
    for route in routes:
        path = fill(route, world["ids"])
        head = agent.client.http.request("HEAD", path, headers=agent._headers())
        get = agent.client.http.get(path, headers=agent._headers())
        length = CaseInsensitiveDict(head.headers).get("content-length")
        if (head.status_code, _comparable(head)) != (get.status_code, _comparable(get)) \
                or head.body != b"" or length != str(len(get.body)):
            wrong.append((path, head.status_code, get.status_code, length, len(get.body), head.body[:80]))
    assert wrong == []


def test_the_deployed_api_passes_head_to_the_app_on_every_get_route(app):
    """API Gateway hands the Lambda only the methods the API definition names; HEAD on a route
    without one gets the gateway's own answer. The definition Chalice deploys names it on each."""
    from chalice.deploy.swagger import SwaggerGenerator

    arn = "arn:aws:lambda:ap-northeast-1:123456789012:function:irai-prod"
    document = SwaggerGenerator("ap-northeast-1", {"api_handler_arn": arn, "api_handler_name": "irai-prod"}) \
        .generate_swagger(app)
    with_get = {path: methods for path, methods in document["paths"].items() if "get" in methods}
    assert len(with_get) > 20
    for path, methods in with_get.items():
        assert methods["head"]["x-amazon-apigateway-integration"]["type"] == "aws_proxy", path
