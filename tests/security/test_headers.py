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


# The local server (`make run`, and the tests over real HTTP) in front of the app.

def test_the_local_server_answers_unknown_urls_with_the_404_page_and_the_headers(live_server):
    """Threat: an unknown URL answered locally by chalice's bare 403 JSON without the security
    headers, so local mode (where the browser tests run) differs from the deployed stage."""
    import requests

    from tests.support.waits import HTTP_TIMEOUT_S

    browser = requests.Session()
    for method in ("GET", "POST", "HEAD"):
        page = browser.request(method, f"{live_server.url}/no/such/route", timeout=HTTP_TIMEOUT_S,
                               data=b"a=1" if method == "POST" else None, headers={"Accept": "text/html,*/*;q=0.8"})
        assert page.status_code == 404, method
        assert_secure_headers(page, method)
        assert page.headers["Content-Type"].startswith("text/html") and page.headers["Cache-Control"] == "no-store"
        if method != "HEAD":
            assert "ページが見つかりません" in page.text
    api = browser.get(f"{live_server.url}/api/no/such", timeout=HTTP_TIMEOUT_S, headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json() == {"message": "見つかりません。"}
    assert_secure_headers(api, "api")
    assert browser.get(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S).status_code == 200  # the connection still works


def test_head_over_the_local_server_sends_the_headers_and_no_body(live_server):
    """A HEAD answered with a body desynchronises a kept-alive connection (the body is read as
    the next answer); the headers must be GET's, Content-Length included."""
    import requests

    from tests.support.waits import HTTP_TIMEOUT_S

    browser = requests.Session()
    get = browser.get(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S)
    for _ in range(3):  # on one connection: a body sent after a HEAD would be read as the next answer
        head = browser.head(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["Content-Length"]) == len(get.content)
        assert_secure_headers(head, "HEAD /login")
    assert browser.get(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S).text == get.text


def test_the_local_server_never_drops_an_answer_over_a_header_value(app, caplog):
    """Threat: a header value HTTP cannot carry (not ASCII) makes the local server drop the
    connection after the app did its work: the user sees a network error for a change that was
    made (a session created, a comment stored). It answers a 500 page instead, and logs why."""
    import requests
    from chalice import Chalice, Response

    from localdev import stack
    from tests.support.waits import HTTP_TIMEOUT_S

    other = Chalice(app_name="headers")

    @other.route("/")
    def index():
        return Response(body="done", headers={"Location": "/requests?q=日本語", "X-Ok": "fine"}, status_code=303)

    server = stack.serve(other, port=0)
    try:
        with caplog.at_level("ERROR", logger="irai.local"):
            response = requests.get(f"{server.url}/", timeout=HTTP_TIMEOUT_S, allow_redirects=False)
        assert response.status_code == 500 and "エラーが発生しました" in response.text
        assert_secure_headers(response, "500")
        assert "Location" in caplog.text and "HTTP cannot carry" in caplog.text
    finally:
        server.stop()
