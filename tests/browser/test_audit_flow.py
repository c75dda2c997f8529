"""監査ログ clicked through in Chromium (issue 21, item 4): the agency admin requires a second
factor for a client on its page, opens 監査ログ from the menu, filters by クライアント and 種類, reads the
change as old → new, and downloads the CSV; a bad period is refused with a message and the typed
dates kept; the client admin opens the same page, scoped to its company. At 1280x800 and 390x844;
screenshots in /tmp/shots-audit/ (and test-artifacts/)."""
from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import CLIENT_ADMIN
from tests.support.browser import DESKTOP, heading, keep_screenshot, log_in, token
from tests.support.factories import make_client, make_company, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = Path("/tmp/shots-audit")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    keep_screenshot(page, f"audit-{name}")


def _open(open_page, size: str) -> Page:
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    return open_page(viewport=VIEWPORTS[size], accept_downloads=True, **extra)


def _menu(page: Page, size: str, label: str) -> None:
    """Follow the side's menu entry ``label`` (the phone's menu opens first where it is folded)."""
    toggle = page.get_by_text("メニュー", exact=True)
    if size == "phone" and toggle.is_visible():
        toggle.click()
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name=label).click()


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_the_agency_admin_reads_filters_and_downloads_the_log(live_server, open_page, size):
    tag = token()
    company = make_company(f"株式会社監査{tag}")
    client_admin = make_client(company, role=CLIENT_ADMIN, name="監査 花子")
    admin = make_user(name="監査 管理者")

    agency = _open(open_page, size)
    log_in(agency, live_server.url, admin.user_id)
    agency.goto(f"{live_server.url}/clients/{company.company_id}")
    agency.get_by_label("このクライアントのアカウントに2段階認証を必須にする").check()
    agency.get_by_role("button", name="2段階認証の設定を保存").click()
    expect(agency.get_by_text("2段階認証の設定を保存しました。")).to_be_visible()
    expect(agency.get_by_label("このクライアントのアカウントに2段階認証を必須にする")).to_be_checked()

    _menu(agency, size, "監査ログ")
    expect(heading(agency, "監査ログ")).to_be_visible()
    agency.get_by_label("クライアント").select_option(label=company.name)
    agency.get_by_label("種類").select_option(label="クライアントの2段階認証の設定変更")
    agency.get_by_role("button", name="絞り込む").click()
    row = agency.get_by_role("row").filter(has_text=company.name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2段階認証を必須にする: 無効 → 有効")
    expect(row).to_contain_text("監査 管理者")
    shot(agency, f"agency-filtered-{size}")
    # No sideways scrolling on the phone: the table is one card per entry.
    assert agency.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    with agency.expect_download() as download:
        agency.get_by_role("link", name="CSVダウンロード").click()
    body = Path(download.value.path()).read_bytes()
    assert body.startswith("\ufeff".encode()) and "無効 → 有効" in body.decode("utf-8-sig")

    agency.get_by_label("期間(から)").fill("2026-05-02")
    agency.get_by_label("期間(まで)").fill("2026-05-01")
    agency.get_by_role("button", name="絞り込む").click()
    expect(agency.get_by_text("開始日が終了日より後になっています。").first).to_be_visible()
    expect(agency.get_by_label("期間(から)")).to_have_value("2026-05-02")
    shot(agency, f"agency-refused-{size}")

    # The requirement holds at the client admin's next sign-in: enrolment first, then the log.
    client = _open(open_page, size)
    log_in(client, live_server.url, client_admin.user_id, lands_on="2段階認証")
    expect(client.get_by_text("このアカウントには2段階認証の設定が必要です。")).to_be_visible()
    client.get_by_role("link", name="認証アプリを登録する").click()
    secret = client.locator("#totp-key").inner_text().replace(" ", "")
    client.get_by_label("確認コード（6桁）").fill(pyotp.TOTP(secret).now())
    client.get_by_role("button", name="確認して登録する").click()
    client.get_by_role("link", name="保管しました").click()
    expect(client.get_by_text("設定済み", exact=True)).to_be_visible()
    _menu(client, size, "監査ログ")
    expect(heading(client, "監査ログ")).to_be_visible()
    expect(client.get_by_label("クライアント")).to_have_count(0)
    expect(client.get_by_role("row").filter(has_text="2段階認証を必須にする")).to_have_count(1)
    shot(client, f"client-{size}")
    assert re.search(r"/audit$", client.url)
