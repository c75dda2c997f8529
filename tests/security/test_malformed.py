"""Bodies no honest browser sends, on every state-changing route: each gets a 4xx that says why.

Threat: a crafted body (invalid UTF-8, megabytes of data, the wrong content type) crashing a
handler into a 500, filling the table, or being half-read into a change nobody meant.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.messages import t
from tests.support.walk import STATE_CHANGING, all_routes, fill

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _token(agent) -> str:
    return json.loads(agent.get("/api/session").body)["csrf_token"]


def _post(agent, method: str, path: str, body: bytes, content_type: str, token: str):
    headers = agent._headers({"Content-Type": content_type, "X-CSRF-Token": token})
    return agent.client.http.request(method, path, body=body, headers=headers)


def _message(response, route: str) -> str:
    text = response.body.decode("utf-8")
    if route.startswith("/api/"):
        assert response.headers.get("Content-Type", "").startswith(JSON), route
        return json.loads(text)["message"]
    assert response.headers.get("Content-Type", "").startswith("text/html"), route
    return text


def _walk(app, agent, world, make_body, expected_status: set[int], message: str, *, content_type=None):
    token = _token(agent)
    wrong = []
    routes = [(m, r) for m, r in all_routes(app) if m in STATE_CHANGING]
    assert len(routes) > 20
    for method, route in routes:
        api = route.startswith("/api/")
        kind = content_type(api) if content_type else (JSON if api else FORM)
        response = _post(agent, method, fill(route, world["ids"]), make_body(api, token), kind, token)
        try:
            shown = _message(response, route)
        except (AssertionError, ValueError, KeyError) as error:
            shown = f"unreadable answer: {error!r} {response.body[:120]!r}"
        if response.status_code not in expected_status or message not in shown:
            wrong.append((method, route, response.status_code, shown[:160]))
    assert wrong == []


@pytest.mark.parametrize("role", ["client_admin", "agency_admin"])
def test_invalid_utf8_gets_a_clear_400(app, sign_in, world, role):
    """Bytes that are not UTF-8 (raw or percent-encoded) in a form or a JSON body."""
    def body(api, token):
        if api:
            return b'{"title": "\xff\xfe", "body": "\xc3\x28"}'
        return b"title=%ff%fe&body=\xc3\x28&csrf_token=" + token.encode()
    _walk(app, sign_in(role), world, body, {400}, t("form.bad_request"))


@pytest.mark.parametrize("role", ["client_admin", "agency_admin"])
def test_oversized_bodies_get_a_clear_4xx(app, sign_in, world, role):
    """A body of 1 MB is refused before it is parsed, with the message that it is too large."""
    def body(api, token):
        if api:
            return json.dumps({"title": "x", "body": "あ" * 400_000}).encode()
        return b"title=x&body=" + b"a" * 1_000_000 + b"&csrf_token=" + token.encode()
    _walk(app, sign_in(role), world, body, {400, 413}, t("form.too_large"))


@pytest.mark.parametrize("sent", ["text/plain", "application/xml", "multipart/form-data; boundary=x", "swap"])
def test_wrong_content_types_get_a_clear_415(app, sign_in, world, sent):
    """A body in a type the route does not read (a page's form sent as JSON, the API's as a form)."""
    def content_type(api):
        if sent == "swap":
            return FORM if api else JSON
        return sent
    def body(api, token):
        return b'{"title": "x"}'
    _walk(app, sign_in("client_admin"), world, body, {415}, t("form.unsupported_type"), content_type=content_type)


LONG = "長" * 20_000  # past every field's limit, yet under the body limit (about 180 KB encoded)


@pytest.mark.parametrize("role", ["client_admin", "agency_admin"])
def test_very_long_text_fields_get_a_message_at_the_field(app, sign_in, world, role):
    """Every text field of every form on the pages the role can open, sent 20,000 characters long:
    a 4xx that names the field (or a sign-in refusal), the text kept, never a 500 or a silent cut."""
    from tests.support.pages import forms
    from tests.support.walk import agency_settings_kept, get_pages, submit

    agent = sign_in(role)
    wrong, tried = [], 0
    with agency_settings_kept():
        for path, html in get_pages(app, agent, world["ids"]).items():
            for form in forms(html):
                if form.method != "post" or form.action in ("/logout",):
                    continue
                for name in form.text_fields:
                    response = submit(agent, path, form, {name: LONG})
                    tried += 1
                    shown = agent.text(response)
                    at_field = f'id="{name}-error"' in shown or 'role="alert"' in shown
                    if not (400 <= response.status_code < 500 and at_field and LONG in shown):
                        wrong.append((form.action, name, response.status_code))
    assert tried > 0
    assert wrong == [], wrong
