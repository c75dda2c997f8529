"""Script and template injection through every text field of every form, and the JSON API.

Threat: stored or reflected XSS (a client's text running as script in the agency's browser,
or the other way round) and server-side template injection (text evaluated by Jinja). The
forms are read from every page each role can open, so a field merged later is covered.
A payload is either refused with the field's message and kept in the form (markup in requests
is refused by design), or stored exactly as sent and shown escaped.
"""
from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

import pytest

from tests.support.pages import field_values, forms
from tests.support.walk import SIGNED_IN_ROLES, agency_settings_kept, get_pages, submit

XSS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "javascript:alert(document.cookie)",
    '<a href="javascript:alert(1)">リンク</a>',
]
TEMPLATE = ["{{7*7}} {{ config }}", "{% for x in range(3) %}x{% endfor %}", "${7*7} #{7*7} <%= 7*7 %>"]
CORPUS = XSS + TEMPLATE
# The walk tries every field of every form: one payload per way out of the context it lands in
# (element content, a quoted attribute, a textarea) plus template syntax keeps it quick.
WALK = [XSS[0], XSS[1], XSS[2], XSS[3], TEMPLATE[0]]
# What a field is given when another field of its form carries the payload: valid where the
# name is known, so the form can be accepted and the payload stored; anything else gets text.
FILLERS = {"name": "山田 太郎", "kana": "ヤマダ タロウ", "phone": "03-1234-5678", "title": "件名",
           "body": "内容です", "agency_name": "制作会社", "mail_sender_name": "制作会社"}


def _filler(name: str) -> str:
    if name == "email":
        return f"{uuid.uuid4().hex[:10]}@example.com"
    if name == "user_id":
        return f"inj{uuid.uuid4().hex[:10]}"
    return FILLERS.get(name, "テスト")


def _shown_raw(html: str, payload: str) -> bool:
    """True if the payload reached the page as markup rather than as text."""
    return any(char in payload for char in "<>\"'") and payload in html


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_every_text_field_of_every_form_shows_payloads_escaped(app, sign_in, world, role):
    agent = sign_in(role)
    ids = world["ids"]
    problems, tried, stored = [], 0, 0
    with agency_settings_kept():
        pages = get_pages(app, agent, ids)
        assert len(pages) >= 3
        targets = {}
        for path, html in pages.items():
            for form in forms(html):
                if form.method == "post" and form.text_fields and form.action not in ("/logout",):
                    targets.setdefault((form.action, tuple(form.text_fields)), (path, form))
        assert targets, "no form with a text field was found"
        for (action, names), (path, form) in targets.items():
            for name in names:
                for payload in WALK:
                    values = {other: _filler(other) for other in names if other != name and not _has_value(form, other)}
                    values[name] = payload
                    response = submit(agent, path, form, values)
                    tried += 1
                    where = (role, action, name, payload, response.status_code)
                    if response.status_code >= 500:
                        problems.append(("server error", where))
                        continue
                    html = agent.text(response)
                    if _shown_raw(html, payload):
                        problems.append(("raw in the answer", where))
                    if response.status_code == 400 and name in field_values(html, name) and \
                            payload.strip() not in [v.strip() for v in field_values(html, name)]:
                        problems.append(("input lost", where))
                    if response.status_code == 303:
                        location = response.headers["location"]
                        if urlsplit(location).path == "/login":
                            agent = sign_in(role)  # the form signed the agent out (e.g. by design)
                            continue
                        shown = agent.text(agent.get(location))
                        if _shown_raw(shown, payload):
                            problems.append(("raw after saving", where))
                        stored += payload in _decoded(shown)
    assert problems == []
    assert tried > 0 and stored > 0, (tried, stored)  # some payloads were accepted, stored and shown


def _has_value(form, name: str) -> bool:
    return any(f.name == name and f.value for f in form.fields)


def _decoded(html: str) -> str:
    import html as markup
    return markup.unescape(html)


@pytest.mark.parametrize("payload", TEMPLATE + ["a & b < c > d \"quoted\" 'single'", "javascript:alert(document.cookie)"])
def test_requests_and_comments_store_text_exactly_as_sent(sign_in, world, payload):
    """Template syntax and special characters are stored verbatim and shown, never evaluated."""
    agent = sign_in("client_member")
    agent.get("/requests/new")
    created = agent.post("/requests", {"title": payload, "body": payload + "\n二行目"})
    assert created.status_code == 303, agent.text(created)[:400]
    request_path = created.headers["location"].split("?")[0]
    page = agent.text(agent.get(request_path))
    assert payload in _decoded(page) and not _shown_raw(page, payload)
    assert 'href="javascript:' not in page.lower()  # only http(s) text becomes a link
    agent.post(f"{request_path}/comments", {"body": payload})
    stored = json.loads(agent.get("/api" + request_path).body)
    assert stored["request"]["title"] == payload
    assert stored["request"]["body"] == payload + "\n二行目"
    assert [e["body"] for e in stored["thread"] if e["kind"] == "comment"] == [payload]


@pytest.mark.parametrize("payload", [p for p in XSS if "<" in p])
def test_markup_sent_through_the_api_is_refused_or_returned_as_data(sign_in, world, payload):
    """The API never answers with HTML built from input: markup is refused with 400 (requests) and
    the rendered comment line it returns for the page is escaped."""
    agent = sign_in("client_member")
    token = json.loads(agent.get("/api/session").body)["csrf_token"]
    headers = agent._headers({"Content-Type": "application/json", "X-CSRF-Token": token})
    created = agent.client.http.post("/api/requests", headers=headers,
                                     body=json.dumps({"title": payload, "body": payload}))
    assert created.status_code == 400
    assert set(json.loads(created.body)["errors"]) >= {"title", "body"}
    comment = agent.client.http.post(f"/api/requests/{world['request'].request_id}/comments", headers=headers,
                                     body=json.dumps({"body": payload}))
    if comment.status_code == 201:
        answer = json.loads(comment.body)
        assert answer["entry"]["body"] == payload
        assert not _shown_raw(answer["html"], payload)
    else:
        assert comment.status_code == 400 and "body" in json.loads(comment.body)["errors"]
