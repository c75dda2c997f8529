"""Sign-in, the forced password change and logout, through chalice.test.Client and the emulator."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.models.sessions import Session
from chalicelib.models.users import User
from chalicelib.services import auth
from tests.support.factories import PASSWORD

NEW_PASSWORD = "ajisai-no-hana-2026"


def test_login_page_has_the_manual_labels(web):
    page = web.text(web.get("/login"))
    for label in ("ユーザーID", "パスワード", "ログイン"):
        assert label in page


def test_unknown_id_and_wrong_password_get_the_same_message(web, make_user):
    user = make_user()
    unknown = web.login("nosuchuser99", PASSWORD)
    wrong = web.login(user.user_id, "wrong-password-here")
    assert unknown.status_code == wrong.status_code == 401
    message = "ユーザーIDまたはパスワードが正しくありません。"
    assert message in web.text(unknown) and message in web.text(wrong)
    assert user.user_id in web.text(wrong)  # the typed user ID is kept


def test_login_opens_the_dashboard_with_the_frame(web, make_user):
    from tests.support.factories import make_client, make_company
    user = make_client(make_company())
    response = web.login(user.user_id, PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = web.text(web.get("/"))
    assert "管理画面" in page and "新規依頼" in page and user.name in page and "ログアウト" in page
    assert "お電話でのご依頼は受け付けておりません" in page


def test_user_id_is_case_insensitive(web, make_user):
    make_user(user_id="CaseUser01")
    assert web.login("caseuser01", PASSWORD).headers["location"] == "/"


def test_pages_need_a_session(web):
    response = web.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_session_cookie_is_httponly_samesite_and_token_stored_hashed(web, make_user):
    user = make_user()
    response = web.login(user.user_id, PASSWORD)
    session_cookie = next(c for c in response.headers["set-cookie"] if c.startswith("irai_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    token = web.cookies["irai_session"]
    assert len(token) >= 43  # 32 random bytes, base64url
    assert Session.find(token) is None  # the raw token is not a key: only its hash is stored


def test_first_login_forces_the_password_change_before_anything_else(web, make_user):
    user = make_user(must_change_password=True)
    response = web.login(user.user_id, PASSWORD)
    assert response.headers["location"] == "/password"
    assert web.get("/").headers["location"] == "/password"
    page = web.text(web.get("/password"))
    for label in ("現在のパスワード", "新しいパスワード", "新しいパスワード(確認)"):
        assert label in page
    done = web.post("/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                  "new_password_confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/?notice=password_changed"
    assert "パスワードを変更しました。" in web.text(web.get("/?notice=password_changed"))
    assert User.find(user.user_id).must_change_password is False


def test_temporary_password_works_once(web, make_user):
    user = make_user(must_change_password=True)
    assert web.login(user.user_id, PASSWORD).headers["location"] == "/password"
    web.cookies.clear()
    assert web.login(user.user_id, PASSWORD).status_code == 401


def test_expired_temporary_password_is_refused(web, make_user):
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    user = make_user(must_change_password=True, temp_password_expires_at=past)
    assert web.login(user.user_id, PASSWORD).status_code == 401


def test_password_rules_each_have_a_message(web, make_user):
    user = make_user(user_id="rulesuser01")
    web.login(user.user_id, PASSWORD)
    web.get("/password")
    cases = {
        "short-pw": "12文字以上",
        "x" * 73: "長すぎます",
        "rulesuser01-abc": "ユーザーID",
        "Password1234!": "推測されやすい",
    }
    for new, message in cases.items():
        response = web.post("/password", {"current_password": PASSWORD, "new_password": new,
                                          "new_password_confirm": new})
        assert response.status_code == 400
        assert message in web.text(response), new
    mismatch = web.post("/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                      "new_password_confirm": NEW_PASSWORD + "x"})
    assert "一致しません" in web.text(mismatch)
    wrong_current = web.post("/password", {"current_password": "not-the-password", "new_password": NEW_PASSWORD,
                                           "new_password_confirm": NEW_PASSWORD})
    assert "現在のパスワードが正しくありません" in web.text(wrong_current)


def test_password_change_ends_other_sessions(client, make_user):
    from tests.support.agent import Agent
    user = make_user()
    first, second = Agent(client), Agent(client)
    first.login(user.user_id, PASSWORD)
    second.login(user.user_id, PASSWORD)
    first.get("/password")
    first.post("/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                             "new_password_confirm": NEW_PASSWORD})
    assert first.get("/").status_code == 200
    assert second.get("/").headers["location"] == "/login"


def test_logout_kills_the_session_server_side(web, make_user):
    user = make_user()
    web.login(user.user_id, PASSWORD)
    token = web.cookies["irai_session"]
    web.get("/")
    response = web.post("/logout", {})
    assert response.headers["location"] == "/login?notice=logged_out"
    assert auth.resume(token) is None
    web.cookies["irai_session"] = token  # replaying the old cookie does not bring it back
    assert web.get("/").headers["location"] == "/login"


def test_idle_and_absolute_timeouts(make_user, aws):
    user = make_user()
    now = datetime.now(timezone.utc)
    signed_in = auth.login(user.user_id, PASSWORD, now=now)
    assert auth.resume(signed_in.token, now=now + timedelta(minutes=119)) is not None
    assert auth.resume(signed_in.token, now=now + timedelta(minutes=119 + 121)) is None  # idle
    fresh = auth.login(user.user_id, PASSWORD, now=now)
    moment = now
    for _ in range(13):  # active every hour, still ends after 12 hours
        moment += timedelta(hours=1)
        result = auth.resume(fresh.token, now=moment)
    assert result is None
    stored = Session.find(auth._hash_token(signed_in.token))
    assert stored is None


def test_session_item_has_ttl_attribute(make_user, aws):
    user = make_user()
    signed_in = auth.login(user.user_id, PASSWORD)
    stored = Session.find(auth._hash_token(signed_in.token))
    assert stored.expires_at > datetime.now(timezone.utc).timestamp()
