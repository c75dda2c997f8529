"""Issue 16, items 6 and 7 in a real browser.

First start: the agency admin's 管理画面 leads with 「はじめに制作会社の情報を設定してください」; the
設定 page asks the agency's name, the admin's own name, the phone number and the mail sender name;
until they are saved, 新規クライアント登録 leads to 設定. Forgotten ID: the reset form takes an
e-mail address; an address with two accounts gets one mail with a link for each, and both work.
Found by visible labels; waits are Playwright's `expect`, never sleeps.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.agency import DEFAULT_COLOUR, AgencySettings
from chalicelib.models.users import User
from localdev import mailbox
from tests.support.browser import heading, log_in
from tests.support.factories import first_start, make_client, make_company, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-S")
PHONE = {"width": 390, "height": 844}
SETUP = "はじめに制作会社の情報を設定してください"
NEW_PASSWORD = "sakura-fubuki-2026"


def shoot(page: Page, name: str) -> None:
    """The page at 1280x800 and at 390x844, for review."""
    SHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size(size)


def test_the_first_start_leads_the_admin_through_the_agency_settings(page, live_server):
    admin = make_user(name="管理者")  # as the first admin is created (ops/create_admin, make run)
    with first_start():
        log_in(page, live_server.url, admin.user_id)
        banner = page.get_by_role("region", name=SETUP)
        expect(banner).to_be_visible()
        shoot(page, "dashboard-setup")
        page.get_by_role("link", name="クライアント管理").click()
        expect(page.get_by_role("region", name=SETUP)).to_be_visible()
        shoot(page, "clients-setup")
        page.get_by_role("link", name="新規クライアント登録").click()  # leads to 設定 until then
        expect(heading(page, SETUP)).to_be_visible()
        expect(page.get_by_label("会社名(制作会社)")).to_have_value("")  # no stand-in offered
        expect(page.get_by_label("あなたの表示名")).to_have_value("")
        shoot(page, "settings-setup")
        page.get_by_role("button", name="保存する").click()
        summary = page.get_by_role("alert")
        expect(summary).to_contain_text("あなたの表示名")
        expect(summary).to_contain_text("メールの差出人名")
        shoot(page, "settings-refused")
        page.get_by_label("会社名(制作会社)").fill("株式会社ウェブ工房")
        page.get_by_label("あなたの表示名").fill("山田")
        page.get_by_label("電話番号").fill("03-9999-0000")
        page.get_by_label("メールの差出人名").fill("ウェブ工房 サポート")
        expect(page.get_by_label("メールの色")).to_have_value(DEFAULT_COLOUR)  # the app's own until chosen
        page.get_by_label("メールの色").fill("#0f5132")  # what the picker sets
        page.get_by_role("button", name="保存する").click()
        expect(heading(page, "設定")).to_be_visible()
        expect(page.get_by_role("region", name=SETUP)).to_have_count(0)
        expect(page.get_by_label("メールの色")).to_have_value("#0f5132")
        shoot(page, "settings-saved")
        settings = AgencySettings.load()
        assert settings.complete and settings.colour == "#0f5132" and User.find(admin.user_id).name == "山田"
        page.goto(live_server.url + "/")
        expect(heading(page, "管理画面")).to_be_visible()
        expect(page.get_by_role("region", name=SETUP)).to_have_count(0)
        page.get_by_role("link", name="クライアント管理").click()
        page.get_by_role("link", name="新規クライアント登録").click()
        expect(heading(page, "新規クライアント登録")).to_be_visible()


def test_the_settings_save_without_javascript(open_page, live_server):
    admin = make_user(name="管理者")  # the first admin, named by its default
    page = open_page(java_script_enabled=False)
    with first_start():
        log_in(page, live_server.url, admin.user_id)
        page.get_by_role("link", name="制作会社の情報を設定する").click()
        page.get_by_label("会社名(制作会社)").fill("株式会社ウェブ工房")
        page.get_by_label("電話番号").fill("03-9999-0000")
        page.get_by_label("メールの差出人名").fill("ウェブ工房 サポート")
        page.get_by_role("button", name="保存する").click()
        expect(page.get_by_role("alert")).to_contain_text("あなたの表示名")
        expect(page.get_by_label("会社名(制作会社)")).to_have_value("株式会社ウェブ工房")  # input kept
        page.get_by_label("あなたの表示名").fill("次郎")
        page.get_by_role("button", name="保存する").click()
        expect(heading(page, "設定")).to_be_visible()
        assert AgencySettings.load().complete


def _reset_mails(address: str) -> list[dict]:
    return [m for m in mailbox.messages()
            if address.lower() in (to.lower() for to in m["to"]) and "パスワード再設定" in m["subject"]]


def _ask_for_reset(page: Page, base_url: str, typed: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_role("link", name="パスワードをお忘れの方").click()
    page.get_by_label("ユーザーIDまたはメールアドレス").fill(typed)
    page.get_by_role("button", name="再設定用のリンクを送る").click()
    expect(page.get_by_role("main")).to_contain_text("登録されていれば、パスワード再設定用のリンク")


def test_a_reset_by_e_mail_address_reaches_both_accounts(page, live_server):
    address = f"both-{uuid.uuid4().hex[:8]}@example.com"
    accounts = [make_client(make_company(f"株式会社{kind}"), name="桜井 花子", email=address) for kind in ("さくら", "もみじ")]
    page.goto(live_server.url + "/password/forgot")
    shoot(page, "forgot")
    _ask_for_reset(page, live_server.url, address)
    shoot(page, "forgot-sent")
    mails = _reset_mails(address)
    assert len(mails) == 1
    for account in accounts:
        link = re.search(rf"ユーザーID: {account.user_id}.*\n(\S+)", mails[0]["text"]).group(1)
        page.goto(live_server.url + urlsplit(link).path)
        page.get_by_label("新しいパスワード", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("新しいパスワード(確認)").fill(NEW_PASSWORD)
        page.get_by_role("button", name="パスワードを再設定する").click()
        expect(page.get_by_role("main")).to_contain_text("ログイン")
        log_in(page, live_server.url, account.user_id, NEW_PASSWORD, lands_on=None)
        expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
        page.context.clear_cookies()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(page, live_server):
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    _ask_for_reset(page, live_server.url, unknown)
    assert _reset_mails(unknown) == []
