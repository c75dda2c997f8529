"""2段階認証 in a real browser, at 1280×800 and 390×844: enrolling an authenticator app (the code
computed here with pyotp from the key the page shows, as the app would) and signing in with it,
a recovery code, and passkeys through Chromium's virtual authenticator (DevTools' WebAuthn
domain): registered and named, then used as the second step and to sign in without a password.

Passkeys need a host name (WebAuthn refuses an IP address), so their tests open the live server
as http://localhost:<port>.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import CLIENT_ADMIN
from tests.support.browser import fill_login, heading, keep_screenshot
from tests.support.factories import make_company

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _account_menu(page: Page):
    return page.get_by_role("navigation", name="アカウントメニュー")


def _log_out(page: Page) -> None:
    _account_menu(page).get_by_role("button", name="ログアウト").click()
    expect(heading(page, "ログイン")).to_be_visible()


def _next_code(secret: str) -> str:
    """The code of the coming 30-second step: the current one confirmed the enrolment and is spent."""
    return pyotp.TOTP(secret).at(datetime.now(timezone.utc) + timedelta(seconds=30))


def _enrol_app(page: Page, name: str) -> tuple[str, list[str]]:
    _account_menu(page).get_by_role("link", name="2段階認証").click()
    expect(heading(page, "2段階認証")).to_be_visible()
    expect(page.get_by_text("未設定")).to_be_visible()
    page.get_by_role("link", name="認証アプリを登録する").click()
    expect(heading(page, "認証アプリの登録")).to_be_visible()
    expect(page.get_by_role("img", name="認証アプリに登録するQRコード")).to_be_visible()
    keep_screenshot(page, f"two-factor-enrol-{name}")
    secret = page.locator("#totp-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    # A wrong code is said at the field and nothing is set up.
    page.get_by_label("確認コード（6桁）").fill("12345")
    page.get_by_role("button", name="確認して登録する").click()
    expect(page.get_by_role("alert").first).to_contain_text("入力内容を確認してください")
    expect(page.get_by_label("確認コード（6桁）")).to_have_value("12345")

    page.get_by_label("確認コード（6桁）").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="確認して登録する").click()
    expect(heading(page, "リカバリーコード")).to_be_visible()
    codes = page.get_by_role("list", name="リカバリーコード").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    keep_screenshot(page, f"two-factor-codes-{name}")
    page.get_by_role("link", name="保管しました").click()
    expect(page.get_by_text("設定済み", exact=True)).to_be_visible()
    return secret, codes


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_enrol_an_app_then_sign_in_with_its_code_and_with_a_recovery_code(open_page, live_server, make_user, size):
    company = make_company("株式会社二段階")
    user = make_user(role=CLIENT_ADMIN, company_id=company.company_id)
    page = open_page(**(PHONE if size == "phone" else {}))
    page.goto(live_server.url + "/login")
    fill_login(page, user.user_id)
    expect(heading(page, "管理画面")).to_be_visible()
    secret, codes = _enrol_app(page, size)
    _log_out(page)

    # The password, then the code.
    fill_login(page, user.user_id)
    expect(heading(page, "2段階認証")).to_be_visible()
    keep_screenshot(page, f"two-factor-second-step-{size}")
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("確認コード（6桁）またはリカバリーコード").fill("000000")
    page.get_by_role("button", name="確認する").click()
    expect(page.get_by_role("alert")).to_contain_text("確認コードまたはリカバリーコードが正しくありません。")
    page.get_by_label("確認コード（6桁）またはリカバリーコード").fill(_next_code(secret))
    page.get_by_role("button", name="確認する").click()
    expect(heading(page, "管理画面")).to_be_visible()
    _log_out(page)

    # A recovery code, once.
    fill_login(page, user.user_id)
    page.get_by_label("確認コード（6桁）またはリカバリーコード").fill(codes[0])
    page.get_by_role("button", name="確認する").click()
    expect(page.get_by_role("status")).to_contain_text("残りは9個です")
    expect(page.get_by_text("リカバリーコード 残り9個")).to_be_visible()


def _virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_register_a_passkey_and_sign_in_with_it_as_second_step_and_alone(open_page, live_server, make_user, size):
    company = make_company("株式会社パスキー")
    user = make_user(role=CLIENT_ADMIN, company_id=company.company_id)
    base = live_server.url.replace("127.0.0.1", "localhost")
    page = open_page(**(PHONE if size == "phone" else {}))
    _virtual_authenticator(page)
    page.goto(base + "/login")
    fill_login(page, user.user_id)
    expect(heading(page, "管理画面")).to_be_visible()
    _account_menu(page).get_by_role("link", name="2段階認証").click()

    # A passkey needs a name to tell it apart later.
    page.get_by_role("button", name="パスキーを登録する").click()
    expect(page.get_by_text("パスキーの名前を入力してください。")).to_be_visible()
    page.get_by_label("パスキーの名前").fill("会社のパソコン")
    page.get_by_role("button", name="パスキーを登録する").click()
    expect(page.get_by_role("status")).to_contain_text("パスキーを登録しました。")
    keys = page.get_by_role("list", name="登録済みのパスキー")
    expect(keys).to_contain_text("会社のパソコン")
    keep_screenshot(page, f"two-factor-passkeys-{size}")
    _log_out(page)

    # The passkey as the second step after the password.
    fill_login(page, user.user_id)
    expect(heading(page, "2段階認証")).to_be_visible()
    page.get_by_role("button", name="パスキーを使う").click()
    expect(heading(page, "管理画面")).to_be_visible()
    _log_out(page)

    # The passkey alone: no user ID, no password.
    page.get_by_role("button", name="パスキーでログイン").click()
    expect(heading(page, "管理画面")).to_be_visible()
    expect(_account_menu(page)).to_contain_text(user.user_id)

    # Removed, the account signs in with its password alone again.
    _account_menu(page).get_by_role("link", name="2段階認証").click()
    page.get_by_role("button", name="パスキー「会社のパソコン」を削除").click()
    expect(page.get_by_role("status")).to_contain_text("パスキーを削除しました。")
    expect(page.get_by_text("未設定")).to_be_visible()
    _log_out(page)
    fill_login(page, user.user_id)
    expect(heading(page, "管理画面")).to_be_visible()
