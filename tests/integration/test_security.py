"""Security behaviour of sign-in pages: CSRF, origins, headers, fixation, redirects, escaping."""
from __future__ import annotations

import pytest

from chalicelib.services import auth
from tests.support.agent import Agent
from tests.support.factories import PASSWORD

REQUIRED_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize("path", ["/login", "/", "/password", "/static/css/app.000000000000.css"])
def test_every_response_carries_the_security_headers(web, path):
    """Threat: clickjacking, MIME sniffing and script injection through missing headers."""
    response = web.get(path)
    for name, fragment in REQUIRED_HEADERS.items():
        assert fragment in response.headers[name], (path, name)
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]


def test_pages_are_not_cached_but_hashed_assets_are(web, make_user):
    """Threat: a shared computer's cache shows a signed-in page to the next person."""
    user = make_user()
    web.login(user.user_id, PASSWORD)
    assert web.get("/").headers["cache-control"] == "no-store"
    page = web.text(web.get("/"))
    css = page.split('href="/static/css/', 1)[1].split('"', 1)[0]
    asset = web.get(f"/static/css/{css}")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert asset.headers["content-type"].startswith("text/css")


def test_login_without_or_with_a_wrong_csrf_token_is_refused(web, make_user):
    """Threat: login CSRF, signing a victim into the attacker's account."""
    user = make_user()
    web.get("/login")
    assert web.post("/login", {"user_id": user.user_id, "password": PASSWORD}, token="").status_code == 403
    assert web.post("/login", {"user_id": user.user_id, "password": PASSWORD},
                    token="forged-token").status_code == 403
    assert "irai_session" not in web.cookies


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}])
def test_cross_site_posts_are_refused_even_with_a_token(web, make_user, headers):
    """Threat: a form on another site posting into Irai with the victim's cookies."""
    user = make_user()
    web.get("/login")
    response = web.post("/login", {"user_id": user.user_id, "password": PASSWORD}, headers=headers)
    assert response.status_code == 403
    assert "画面の有効期限が切れました" in web.text(response)


def test_signed_in_posts_need_the_session_token_not_the_anonymous_one(web, make_user):
    """Threat: a token obtained before login (or by another visitor) authorising changes."""
    user = make_user()
    web.get("/login")
    anonymous = web.csrf_token()
    web.post("/login", {"user_id": user.user_id, "password": PASSWORD})
    response = web.post("/logout", {}, token=anonymous)
    assert response.status_code == 403
    assert web.get("/").status_code == 200  # still signed in: the forged logout did nothing


def test_session_fixation_a_planted_cookie_is_never_adopted(web, make_user):
    """Threat: an attacker sets a known session cookie, waits for the victim to log in."""
    user = make_user()
    web.cookies["irai_session"] = "attacker-chosen-value"
    web.login(user.user_id, PASSWORD)
    assert web.cookies["irai_session"] != "attacker-chosen-value"
    assert auth.resume("attacker-chosen-value") is None


def test_each_login_gets_a_new_session_token(client, make_user):
    user = make_user()
    first, second = Agent(client), Agent(client)
    first.login(user.user_id, PASSWORD)
    second.login(user.user_id, PASSWORD)
    assert first.cookies["irai_session"] != second.cookies["irai_session"]


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(web, make_user, target):
    """Threat: open redirect through the next parameter, used in phishing."""
    user = make_user()
    web.get(f"/login?next={target}")
    response = web.post("/login", {"user_id": user.user_id, "password": PASSWORD})
    assert response.headers["location"] == "/"


def test_login_returns_to_the_page_asked_for(web, make_user):
    user = make_user()
    assert web.get("/password").headers["location"] == "/login?next=/password"
    form = web.text(web.get("/login?next=/password"))
    assert 'name="next" value="/password"' in form
    response = web.post("/login", {"user_id": user.user_id, "password": PASSWORD, "next": "/password"})
    assert response.headers["location"] == "/password"


def test_user_text_is_escaped_in_pages(web, make_user):
    """Threat: stored XSS through an account's name shown in the header."""
    user = make_user(name='<script>alert("x")</script>')
    web.login(user.user_id, PASSWORD)
    page = web.text(web.get("/"))
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_typed_user_id_is_escaped_when_the_form_comes_back(web):
    response = web.login('"><img src=x onerror=alert(1)>', "whatever-password")
    assert "<img src=x" not in web.text(response)


def test_logout_is_not_possible_by_get(web, make_user):
    """Threat: a link or image on another page logging the user out (state change on GET)."""
    user = make_user()
    web.login(user.user_id, PASSWORD)
    web.get("/logout")
    assert web.get("/").status_code == 200


def test_unreadable_form_bodies_get_a_clear_400(web):
    web.get("/login")
    token = web.csrf_token()
    response = web.client.http.post("/login", body=b"user_id=%ff%fe&csrf_token=" + token.encode(),
                                    headers=web._headers({"Content-Type": "application/x-www-form-urlencoded"}))
    assert response.status_code == 400
    assert "送信内容を読み取れませんでした" in response.body.decode()


def test_oversized_form_bodies_are_refused(web):
    web.get("/login")
    response = web.post("/login", {"user_id": "x" * 300_000, "password": "p"})
    assert response.status_code == 400
    assert "大きすぎます" in web.text(response)
