"""The 月次保守レポート clicked through in Chromium from both sides (issue 19, item 6): the agency
opens a company's report from its page, writes a コメント, presses 送信 and confirms in the dialog;
the client's admin follows the mail's link, signs in, reads the report, downloads its PDF and
finds it again under 月次保守レポート in the menu. At 1280x800 and 390x844; screenshots in
/tmp/shots-reports/ (and test-artifacts/)."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from chalicelib.models.companies import Company
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, reports, workflow
from chalicelib.services import pointrules as r
from chalicelib.services import requests as request_service
from tests.support.browser import DESKTOP, fill_login, heading, keep_screenshot, log_in, token
from tests.support.factories import make_client, make_company, make_user
from tests.support.mailbox import mail_to

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = Path("/tmp/shots-reports")
MONTH = reports.last_month()
LABEL = r.month_label(MONTH)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    keep_screenshot(page, f"reports-{name}")


def _open(open_page, size: str) -> Page:
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    return open_page(viewport=VIEWPORTS[size], accept_downloads=True, **extra)


def _world():
    tag = token()
    company = make_company(f"株式会社月次{tag}")
    client_admin = make_client(company, role=CLIENT_ADMIN, name="月次 花子", email=f"report-{tag}@example.com")
    staff = make_user(role=AGENCY_STAFF, name="報告 次郎")
    admin = make_user(name="管理 一郎")
    start, _ = reports.month_bounds(MONTH)
    # A client since before last month, so the 管理画面 lists its report as one to send.
    Company(*Company.keys(company.company_id)).update(actions=[Company.created_at.set(start - timedelta(days=30))])
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=start.date().isoformat()))
    filed = request_service.create_request(client_admin, request_service.RequestForm(
        title="会社概要ページの更新", body="役員の名前を変えてください。"), now=start + timedelta(days=4, hours=1))
    request_service.update_request(staff, filed.request_id, request_service.RequestChanges(status=workflow.IN_PROGRESS),
                                   revision=0, now=start + timedelta(days=4, hours=3))
    request_service.update_request(staff, filed.request_id, request_service.RequestChanges(status=workflow.DONE),
                                   revision=1, now=start + timedelta(days=6))
    return tag, company, client_admin, staff


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_the_agency_sends_and_the_client_opens_the_report(live_server, open_page, size):
    tag, company, client_admin, staff = _world()
    comment = f"{LABEL}もご依頼ありがとうございました。{tag}"

    agency = _open(open_page, size)
    log_in(agency, live_server.url, staff.user_id)
    unsent = agency.get_by_role("region", name=re.compile(f"^{LABEL}の月次保守レポート"))
    expect(unsent.get_by_role("link", name=company.name)).to_be_visible()
    unsent.scroll_into_view_if_needed()
    shot(agency, f"agency-dashboard-{size}")
    agency.goto(f"{live_server.url}/clients/{company.company_id}")
    agency.get_by_role("link", name="月次保守レポート").click()
    expect(heading(agency, re.compile(f"^月次保守レポート {LABEL}"))).to_be_visible()
    expect(agency.get_by_text("未送信", exact=True)).to_be_visible()
    expect(agency.get_by_role("cell", name="会社概要ページの更新").first).to_be_visible()
    agency.get_by_role("textbox", name="コメント").fill(comment)
    agency.get_by_role("button", name="コメントを保存").click()
    expect(agency.get_by_role("status")).to_have_text("コメントを保存しました。")
    expect(agency.get_by_role("textbox", name="コメント")).to_have_value(comment)
    shot(agency, f"agency-draft-{size}")
    agency.get_by_role("button", name="送信", exact=True).click()
    dialog = agency.get_by_role("dialog", name=f"{LABEL}の月次保守レポートを送信しますか?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(company.name)
    shot(agency, f"agency-confirm-{size}")
    dialog.get_by_role("button", name="はい、送信する").click()
    expect(agency.get_by_role("status")).to_contain_text("月次保守レポートを送信しました。")
    expect(agency.get_by_text("送信済み", exact=True)).to_be_visible()
    expect(agency.get_by_role("button", name="送信", exact=True)).to_have_count(0)
    shot(agency, f"agency-sent-{size}")
    agency.goto(live_server.url + "/")
    expect(agency.get_by_role("link", name=company.name)).to_have_count(0)

    # The client's admin follows the mail's link, signs in, and lands on the report.
    link = re.search(r"https?://\S+/reports/\d{4}-\d{2}", mail_to(client_admin.email, subject="月次保守レポート")["text"])
    assert link, "no link in the mail"
    reader = _open(open_page, size)
    reader.goto(link.group(0))
    fill_login(reader, client_admin.user_id)
    expect(heading(reader, re.compile(f"^月次保守レポート {LABEL}"))).to_be_visible()
    expect(reader.get_by_text(comment)).to_be_visible()
    expect(reader.get_by_role("cell", name="会社概要ページの更新").first).to_be_visible()
    shot(reader, f"client-report-{size}")
    with reader.expect_download() as download_info:
        reader.get_by_role("link", name="PDFをダウンロード").click()
    pdf = Path(download_info.value.path()).read_bytes()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert comment in text and "会社概要ページの更新" in text and f"{company.name} 御中" in text
    assert download_info.value.suggested_filename.endswith(".pdf")

    # Every past report is under 月次保守レポート in the menu.
    reader.goto(live_server.url + "/")
    if size == "phone":
        reader.get_by_text("メニュー", exact=True).click()
    reader.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="月次保守レポート").click()
    expect(heading(reader, "月次保守レポート")).to_be_visible()
    shot(reader, f"client-list-{size}")
    reader.get_by_role("link", name=f"{LABEL}分", exact=True).click()
    expect(heading(reader, re.compile(f"^月次保守レポート {LABEL}"))).to_be_visible()
