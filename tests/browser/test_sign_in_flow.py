"""Manual section 1 in a real browser: ログイン, the forced パスワード変更, ログアウト, and the whole
path of a new account from its ログインのご案内 mail to the 管理画面.

Everything is found by what a user sees (labels, button names, headings); waits are Playwright's
auto-retrying `expect`, never sleeps.
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import CLIENT_ADMIN
from tests.support.browser import fill_login, heading, log_in
from tests.support.factories import PASSWORD, make_company, register
from tests.support.mailbox import line_value, mail_to

pytestmark = pytest.mark.browser

NEW_PASSWORD = "ajisai-no-hana-2026"
LOGIN_FAILED = "ユーザーIDまたはパスワードが正しくありません。"
LOGIN_URL = re.compile(r"/login(\?.*)?$")
PASSWORD_URL = re.compile(r"/password$")
DASHBOARD_URL = re.compile(r"/(\?.*)?$")


@pytest.fixture
def make_client(make_user):
    """Factory: a client company's account (the people the manual is written for)."""
    def factory(**options):
        return make_user(role=CLIENT_ADMIN, company_id=make_company("株式会社テスト商事").company_id, **options)
    return factory


def change_password(page: Page, current: str, new: str, confirm: str | None = None) -> None:
    page.get_by_label("現在のパスワード", exact=True).fill(current)
    page.get_by_label("新しいパスワード", exact=True).fill(new)
    page.get_by_label("新しいパスワード(確認)", exact=True).fill(new if confirm is None else confirm)
    page.get_by_role("button", name="パスワードを変更する").click()


def account_menu(page: Page):
    return page.get_by_role("navigation", name="アカウントメニュー")


def test_wrong_password_shows_the_message_and_keeps_the_user_id(page, live_server, make_client):
    user = make_client()
    log_in(page, live_server.url, user.user_id, "not-the-right-password", lands_on=None)

    expect(page.get_by_role("alert")).to_contain_text(LOGIN_FAILED)
    expect(heading(page, "ログイン")).to_be_visible()
    expect(page.get_by_label("ユーザーID", exact=True)).to_have_value(user.user_id)
    expect(page.get_by_label("パスワード", exact=True)).to_have_value("")  # never echoed back
    # The error is tied to the fields for screen readers, and the cursor waits in パスワード.
    expect(page.get_by_label("パスワード", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("パスワード", exact=True)).to_be_focused()


def test_unknown_user_id_gets_the_same_message(page, live_server):
    log_in(page, live_server.url, "nosuchuser" + uuid.uuid4().hex[:6], PASSWORD, lands_on=None)
    expect(page.get_by_role("alert")).to_contain_text(LOGIN_FAILED)


def test_first_login_forces_the_password_change_before_anything_else(page, live_server, make_client):
    user = make_client(must_change_password=True)
    log_in(page, live_server.url, user.user_id, PASSWORD, lands_on=None)

    expect(page).to_have_url(PASSWORD_URL)
    expect(heading(page, "パスワード変更")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("新しいパスワードを設定してください")

    change_password(page, PASSWORD, "short-pw")
    expect(page).to_have_url(PASSWORD_URL)
    expect(page.get_by_role("alert")).to_contain_text("入力内容を確認してください。")
    new_field = page.get_by_label("新しいパスワード", exact=True)
    expect(new_field).to_have_attribute("aria-invalid", "true")
    expect(new_field).to_have_accessible_description(re.compile("新しいパスワードは12文字以上にしてください。"))
    expect(page.get_by_label("現在のパスワード", exact=True)).to_have_value("")  # never echoed back

    # Nothing else is reachable yet: the dashboard sends the user back here.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(PASSWORD_URL)
    expect(heading(page, "パスワード変更")).to_be_visible()
    expect(page.get_by_role("link", name="新規依頼")).to_have_count(0)

    change_password(page, PASSWORD, NEW_PASSWORD)
    expect(page).to_have_url(DASHBOARD_URL)
    expect(heading(page, "管理画面")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("パスワードを変更しました。")


def test_logout_returns_to_login_and_the_dashboard_asks_for_login_again(page, live_server, make_client):
    user = make_client()
    log_in(page, live_server.url, user.user_id, PASSWORD, lands_on=None)
    expect(heading(page, "管理画面")).to_be_visible()

    account_menu(page).get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(heading(page, "ログイン")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("ログアウトしました。")
    # The message sits above the login card, not squeezed beside it.
    message_box = page.get_by_role("status").bounding_box()
    heading_box = heading(page, "ログイン").bounding_box()
    assert message_box["y"] + message_box["height"] <= heading_box["y"]

    page.goto(live_server.url + "/")
    expect(page).to_have_url(LOGIN_URL)
    expect(heading(page, "ログイン")).to_be_visible()
    expect(page.get_by_label("ユーザーID", exact=True)).to_be_visible()


def test_new_account_from_the_guidance_mail_to_the_dashboard(page, live_server, make_user):
    # The agency registers the first account of a new client company (its client admin); the
    # app sends ログインのご案内 with the user ID, a temporary password and the login URL.
    user_id = "yamada" + uuid.uuid4().hex[:8]
    address = f"{user_id}@example.com"
    created = register(make_user(), make_company("株式会社やまだ"), user_id=user_id, name="山田 花子", email=address)
    assert created.user.role == CLIENT_ADMIN and created.mail_sent

    mail = mail_to(address)
    assert "ログインのご案内" in mail["subject"]
    assert line_value(mail["text"], "ユーザーID: ") == user_id
    temporary = line_value(mail["text"], "仮パスワード: ")
    login_url = line_value(mail["text"], "ログインURL: ")
    assert login_url == live_server.url + "/login"

    page.goto(login_url)  # the user follows the link in the mail
    fill_login(page, user_id, temporary)

    expect(page).to_have_url(PASSWORD_URL)
    change_password(page, temporary, NEW_PASSWORD)

    expect(page).to_have_url(DASHBOARD_URL)
    expect(heading(page, "管理画面")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("パスワードを変更しました。")
    expect(account_menu(page)).to_contain_text("山田 花子")
    expect(page.get_by_role("link", name="新規依頼")).to_be_visible()

    # The temporary password worked once: it no longer opens the account.
    account_menu(page).get_by_role("button", name="ログアウト").click()
    log_in(page, live_server.url, user_id, temporary, lands_on=None)
    expect(page.get_by_role("alert")).to_contain_text(LOGIN_FAILED)
    log_in(page, live_server.url, user_id, NEW_PASSWORD, lands_on=None)
    expect(heading(page, "管理画面")).to_be_visible()


def test_dashboard_frame(page, live_server, make_client):
    user = make_client()
    log_in(page, live_server.url, user.user_id, PASSWORD, lands_on=None)
    expect(heading(page, "管理画面")).to_be_visible()

    expect(page.get_by_role("banner")).to_contain_text(user.name)
    expect(page.get_by_role("link", name="新規依頼")).to_have_attribute("href", "/requests/new")
    expect(page.get_by_role("heading", level=2, name="進行中の依頼")).to_be_visible()
    footer = page.get_by_role("contentinfo")
    expect(footer).to_contain_text("お電話でのご依頼は受け付けておりません")
    # A client exists only once the agency's settings are complete (issue 16, item 6): its phone
    # number is always there, once.
    from chalicelib.models.agency import AgencySettings
    expect(footer).to_contain_text(f"電話番号 {AgencySettings.load().phone}")
    assert footer.inner_text().count("電話番号") == 1


def test_footer_shows_the_phone_number_once_the_agency_sets_it(page, live_server, make_client):
    from chalicelib.models.agency import AgencySettings

    settings = AgencySettings.load()
    previous = settings.phone
    settings.phone = "03-1234-5678"
    settings.save()
    try:
        user = make_client()
        log_in(page, live_server.url, user.user_id, PASSWORD, lands_on=None)
        footer = page.get_by_role("contentinfo")
        expect(footer).to_contain_text("電話番号 03-1234-5678")
        expect(footer).to_contain_text("お電話でのご依頼は受け付けておりません")
    finally:
        settings = AgencySettings.load()
        settings.phone = previous
        settings.save()


def _horizontal_overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_login_page_fits_a_phone_without_horizontal_scroll(open_page, live_server):
    phone = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                      device_scale_factor=3)
    phone.goto(live_server.url + "/login")
    expect(heading(phone, "ログイン")).to_be_visible()
    assert _horizontal_overflow(phone) <= 390
    expect(phone.get_by_role("button", name="ログイン", exact=True)).to_be_in_viewport()

    # With the error message too.
    phone.get_by_label("ユーザーID", exact=True).fill("nosuchuser01")
    phone.get_by_label("パスワード", exact=True).fill("wrong-password")
    phone.get_by_role("button", name="ログイン", exact=True).click()
    expect(phone.get_by_role("alert")).to_contain_text(LOGIN_FAILED)
    assert _horizontal_overflow(phone) <= 390


def test_dashboard_fits_a_phone_without_horizontal_scroll(open_page, live_server, make_client):
    user = make_client()
    phone = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, live_server.url, user.user_id, PASSWORD, lands_on=None)
    expect(heading(phone, "管理画面")).to_be_visible()
    assert _horizontal_overflow(phone) <= 390


def test_pages_load_without_console_errors_or_csp_violations(page, live_server, make_client):
    """The CSP forbids inline styles and scripts: a violation shows up as a console error."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and "/static/" in response.url else None)

    user = make_client(must_change_password=True)
    log_in(page, live_server.url, user.user_id, PASSWORD, lands_on=None)
    expect(heading(page, "パスワード変更")).to_be_visible()
    change_password(page, PASSWORD, NEW_PASSWORD)
    expect(heading(page, "管理画面")).to_be_visible()
    # The stylesheet really applied (a blocked or missing one leaves the default white page).
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    assert problems == [] and failed == []


def test_keyboard_focus_is_visible(page, live_server, make_client):
    user = make_client()
    log_in(page, live_server.url, user.user_id, PASSWORD, lands_on=None)
    expect(heading(page, "管理画面")).to_be_visible()
    page.keyboard.press("Tab")  # 本文へ移動 (skip link) appears on focus
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    new_request = page.get_by_role("link", name="新規依頼")
    new_request.focus()
    outline = new_request.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert outline.split()[0] != "none" and outline.split()[1] != "0px", outline
