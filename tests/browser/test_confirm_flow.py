"""Costly or final actions ask first, in Chromium: 取り下げる, 承認 (spends points), 無効にする.

With JavaScript a <dialog> asks, by keyboard only: Enter on the button opens it with the focus
on 「戻る」, Esc closes it with nothing sent and the focus back on the button, Shift+Tab and
Enter on 「はい、…」 do it. Without JavaScript the same question is a page, with 「戻る」 a link.
At 1280x800 and 390x844; screenshots in /tmp/shots-E/ (and test-artifacts/).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, ledger, pointrules
from tests.support.browser import DESKTOP, heading, keep_screenshot, log_in, token
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = Path("/tmp/shots-E")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    keep_screenshot(page, f"confirm-{name}")


def _open(open_page, size: str, **options) -> Page:
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    return open_page(viewport=VIEWPORTS[size], **extra, **options)


def _client_with_an_estimate():
    company = make_company(f"株式会社確認{token()}")
    client = make_client(company, role=CLIENT_ADMIN, name="確認 花子")
    admin = make_user(name="管理 一郎")
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=pointrules.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    request = make_request(client, title="トップの画像を変えたい")
    estimates.save_estimate(make_user(role=AGENCY_STAFF, name="見積 太郎"), request.request_id,
                            [estimates.LineInput(name="画像の差し替え", points="2.5")], version=0)
    return company, client, request


def _keyboard_asks_then_does(page: Page, button, dialog_name: str, yes: str, name: str) -> None:
    """Enter opens the dialog at 「戻る」; Esc cancels; Shift+Tab, Enter on ``yes`` does it."""
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=dialog_name)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="戻る")).to_be_focused()
    shot(page, name)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name=yes)).to_be_focused()
    page.keyboard.press("Enter")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_withdraw_and_approve_ask_in_a_dialog_by_keyboard(live_server, open_page, size):
    _, client, request = _client_with_an_estimate()
    page = _open(open_page, size)
    log_in(page, live_server.url, client.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")

    approve = page.get_by_role("button", name="承認", exact=True)
    _keyboard_asks_then_does(page, approve, "この見積を承認しますか?", "はい、承認する", f"approve-dialog-{size}")
    expect(page.get_by_role("status")).to_have_text("見積を承認しました。")

    withdraw = page.get_by_role("button", name="取り下げる")
    button = withdraw
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="この依頼を取り下げますか?")
    expect(dialog).to_contain_text("トップの画像を変えたい")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.get_by_role("button", name="取り下げる")).to_be_visible()  # Esc sent nothing
    _keyboard_asks_then_does(page, page.get_by_role("button", name="取り下げる"), "この依頼を取り下げますか?",
                             "はい、取り下げる", f"withdraw-dialog-{size}")
    expect(page.get_by_role("status")).to_have_text("依頼を取り下げました。")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_deactivate_asks_in_a_dialog_by_keyboard(live_server, open_page, size):
    company = make_company(f"株式会社無効{token()}")
    admin = make_client(company, role=CLIENT_ADMIN, name="管理 花子")
    member = make_client(company, name="無効 太郎")
    page = _open(open_page, size)
    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/accounts/{member.user_id}")
    _keyboard_asks_then_does(page, page.get_by_role("button", name="無効にする"),
                             "無効 太郎 さんのアカウントを無効にしますか?", "はい、無効にする", f"deactivate-dialog-{size}")
    expect(page.get_by_role("status")).to_have_text("アカウントを無効にしました。このアカウントではログインできません。ご本人にメールでお知らせしました。")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_without_javascript_each_question_is_a_page(live_server, open_page, size):
    company, client, request = _client_with_an_estimate()
    member = make_client(company, name="無効 次郎")
    page = _open(open_page, size, java_script_enabled=False)
    log_in(page, live_server.url, client.user_id)
    url = f"{live_server.url}/requests/{request.request_id}"
    page.goto(url)

    # 承認: the page says what it spends; 戻る leads back with nothing done.
    page.get_by_role("button", name="承認", exact=True).click()
    expect(heading(page, "この見積を承認しますか?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("10 pt → 7.5 pt")
    shot(page, f"approve-page-{size}")
    page.get_by_role("link", name=f"#{request.number} {request.title}に戻る").click()
    expect(page.get_by_role("button", name="承認", exact=True)).to_be_visible()
    page.get_by_role("button", name="承認", exact=True).click()
    page.get_by_role("button", name="はい、承認する").click()
    expect(page.get_by_role("status")).to_have_text("見積を承認しました。")

    # 取り下げる.
    page.get_by_role("button", name="取り下げる").click()
    expect(heading(page, "この依頼を取り下げますか?")).to_be_visible()
    shot(page, f"withdraw-page-{size}")
    page.get_by_role("link", name=f"#{request.number} {request.title}に戻る").click()
    expect(page).to_have_url(url)
    page.get_by_role("button", name="取り下げる").click()
    page.get_by_role("button", name="はい、取り下げる").click()
    expect(page.get_by_role("status")).to_have_text("依頼を取り下げました。")
    expect(page.get_by_role("button", name="取り下げる")).to_have_count(0)

    # 無効にする.
    page.goto(f"{live_server.url}/accounts/{member.user_id}")
    page.get_by_role("button", name="無効にする").click()
    expect(heading(page, re.compile("無効 次郎 さんのアカウントを無効にしますか"))).to_be_visible()
    shot(page, f"deactivate-page-{size}")
    page.get_by_role("button", name="はい、無効にする").click()
    expect(page.get_by_role("status")).to_have_text("アカウントを無効にしました。このアカウントではログインできません。ご本人にメールでお知らせしました。")
