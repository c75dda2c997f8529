"""Where the app sends a browser after login: only ever a path of this site, sent as valid ASCII.

Threat: a link to the login page carrying ``next=`` that, once the victim signs in, sends them to
another site looking like Irai (phishing for the password again, or for a reset). Browsers drop
tabs and newlines from URLs and read a backslash as a slash, so a Location such as "/\\t/evil"
or "/\\\\evil" is "//evil": another host. Everything in the corpus must come back as "/", from
the login page's hidden field and from the real login POST's Location header alike.
"""
from __future__ import annotations

from urllib.parse import quote, unquote

import requests

from tests.support.accounts import PASSWORD
from tests.support.agent import Agent
from tests.support.pages import field_values
from tests.support.waits import HTTP_TIMEOUT_S

EVIL = "evil.example/login"
OPEN_REDIRECTS = [
    f"/\t/{EVIL}", f"/\n/{EVIL}", f"/\r/{EVIL}", f"/%09/{EVIL}", f"/%0a/{EVIL}", f"/%0D%0A/{EVIL}",
    f"//{EVIL}", f"///{EVIL}", f"/\\{EVIL}", f"\\\\{EVIL}", f"/\\/{EVIL}", f"/%2F%2F{EVIL}",
    f"/%2f/{EVIL}", f"/%5C{EVIL}", f"/%5c%5c{EVIL}", f"/%252F%252F{EVIL}", f"https:{EVIL}",
    f"https://{EVIL}", f"http:/{EVIL}", "javascript:alert(1)", "JaVaScRiPt:alert(1)", EVIL,
    f"/\u3000/{EVIL}", f"/%E3%80%80/{EVIL}", f"/\u2028/{EVIL}", f"/%E2%80%A8/{EVIL}", f"/\u2029/{EVIL}",
    f"/\u0085/{EVIL}", f"/%C2%85/{EVIL}", f"/\x0b/{EVIL}", f"/\x0c/{EVIL}", f"/\x00/{EVIL}",
    f"/%00/{EVIL}", f"/\u202e/{EVIL}", f"/%E2%80%AE/{EVIL}", f"/\u200b/{EVIL}", f"/\ufeff/{EVIL}",
    f"/ /{EVIL}", f"/%20/{EVIL}", f"/\u00a0/{EVIL}", "/requests?next=x\u2028y", "/requests?q=%0a",
    "", " ", "requests",
]
# Honest targets: the pages a signed-out user was sent away from, queries and Japanese included.
SAME_SITE = ["/", "/requests", "/requests?status=new&page=2", "/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV",
             "/requests?q=%E6%97%A5%E6%9C%AC%E8%AA%9E", "/requests?q=foo%20bar", "/requests?q=%E3%80%80"]


def _login_page_next(client, target: str) -> str:
    agent = Agent(client)
    response = agent.get("/login?next=" + quote(target, safe=""))
    assert response.status_code == 200
    values = field_values(agent.text(response), "next")
    assert len(values) == 1
    return values[0]


def _login_location(client, user, target: str) -> str:
    agent = Agent(client)
    agent.get("/login")
    response = agent.post("/login", {"user_id": user.user_id, "password": PASSWORD, "next": target})
    assert response.status_code == 303, response.body[:200]
    return response.headers["location"]


def test_login_never_sends_the_browser_to_another_site(client, make_user):
    """Every payload of the corpus, in the GET login page's hidden field and the POST's Location."""
    user = make_user()
    wrong = []
    for target in OPEN_REDIRECTS:
        shown, location = _login_page_next(client, target), _login_location(client, user, target)
        if shown != "/" or location != "/":
            wrong.append((target, shown, location))
    assert wrong == []


def test_login_still_returns_to_the_page_of_this_site_it_was_asked_for(client, make_user):
    """The checks above refuse other sites, not honest paths: those come back as asked."""
    user = make_user()
    for target in SAME_SITE:
        assert _login_page_next(client, target) == target
        assert _login_location(client, user, target) == target


def test_a_japanese_next_is_sent_percent_encoded(client, make_user):
    """Threat: a header value that is not ASCII, which servers and API Gateway refuse or mangle."""
    user = make_user()
    location = _login_location(client, user, "/requests?q=日本語")
    assert location == "/requests?q=%E6%97%A5%E6%9C%AC%E8%AA%9E"
    assert location.isascii() and unquote(location) == "/requests?q=日本語"


def test_a_japanese_next_over_the_local_server_answers_and_signs_in(live_server, make_user):
    """Threat: the local server dropping the answer (no cookie, no page) while a session was made."""
    user = make_user()
    browser = requests.Session()
    browser.get(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S)
    token = browser.cookies["irai_csrf"]
    response = browser.post(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S, allow_redirects=False, data={
        "user_id": user.user_id, "password": PASSWORD, "next": "/requests?q=日本語", "csrf_token": token},
        headers={"Origin": live_server.url})
    assert response.status_code == 303
    assert response.headers["Location"] == "/requests?q=%E6%97%A5%E6%9C%AC%E8%AA%9E"
    assert browser.get(f"{live_server.url}/requests?q=日本語", timeout=HTTP_TIMEOUT_S).status_code == 200
