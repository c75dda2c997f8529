"""Issue 19: 請求書 clicked through in Chromium from both sides, at 1280x800 and 390x844: the agency
admin fills 請求書の設定, drafts a company's month, changes a line, adds one and removes one,
issues it (the dialog asks first), and the client admin opens 請求書 and downloads the PDF, whose
text is read back. Screenshots in /tmp/shots-invoices/ (and test-artifacts/)."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from chalicelib.models.invoices import BillingSettings
from chalicelib.models.users import CLIENT_ADMIN
from chalicelib.services import contracts, ledger
from chalicelib.services import pointrules as r
from tests.support.browser import DESKTOP, heading, keep_screenshot, log_in, token
from tests.support.factories import make_client, make_company, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = Path("/tmp/shots-invoices")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    keep_screenshot(page, f"invoices-{name}")


def _open(open_page, size: str, **options) -> Page:
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    return open_page(viewport=VIEWPORTS[size], **extra, **options)


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_the_agency_drafts_edits_and_issues_and_the_client_downloads_the_pdf(live_server, open_page, size):
    tag = token()
    company = make_company(f"株式会社請求{tag}")
    client_admin = make_client(company, role=CLIENT_ADMIN, name="請求 花子")
    admin = make_user(name="請求 一郎")
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.POSTPAID, unit_price="3000", monthly_fee="50000",
        starts_on=(ledger.today_jst() - timedelta(days=40)).isoformat()))
    page = _open(open_page, size)
    log_in(page, live_server.url, admin.user_id, lands_on=None)

    # The agency's 契約履歴 names the fee the drafts will bill.
    page.goto(f"{live_server.url}/clients/{company.company_id}")
    expect(page.get_by_text("月額保守料金 50,000円(税抜)")).to_be_visible()
    page.get_by_role("heading", name="契約履歴").scroll_into_view_if_needed()
    shot(page, f"{size}-contract-history")

    # 請求書の設定: a wrong registration number is named at its field and the rest is kept.
    page.goto(f"{live_server.url}/settings/billing")
    expect(heading(page, "請求書の設定")).to_be_visible()
    page.get_by_label("発行事業者名").fill("株式会社テスト制作")
    page.get_by_label("適格請求書発行事業者登録番号").fill("T12345")
    page.get_by_label("住所").fill("東京都千代田区丸の内1-1-1")
    page.get_by_label("電話番号").fill("03-1111-2222")
    page.get_by_label("振込先").fill("みずほ銀行 東京支店\n普通 1234567")
    page.get_by_label("お支払期限").select_option(label="翌月末")
    page.get_by_label("四捨五入").check()
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("alert")).to_contain_text("登録番号は「T」に続けて13桁の数字で入力してください")
    expect(page.get_by_label("発行事業者名")).to_have_value("株式会社テスト制作")
    expect(page.get_by_label("振込先")).to_have_value("みずほ銀行 東京支店\n普通 1234567")
    shot(page, f"{size}-billing-refused")
    page.get_by_label("適格請求書発行事業者登録番号").fill("T1234567890123")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_contain_text("請求書の設定を保存しました。")
    assert BillingSettings.load().tax_rounding == "half_up"

    # クライアント詳細 -> 請求書 -> a draft of this month.
    page.goto(f"{live_server.url}/clients/{company.company_id}")
    page.get_by_role("main").get_by_role("link", name="請求書", exact=True).click()
    expect(heading(page, f"請求書 株式会社請求{tag}")).to_be_visible()
    month = r.month_of(ledger.today_jst())
    page.get_by_label("年").select_option(str(int(month[:4])))
    page.get_by_label("月", exact=True).select_option(str(int(month[5:])))
    page.get_by_role("button", name="下書きを作成").click()
    expect(heading(page, "請求書(下書き)")).to_be_visible()
    first = page.get_by_role("group", name="1行目")
    expect(first.get_by_label("内容")).to_have_value(f"月額保守料金({r.month_label(month)}分)")
    shot(page, f"{size}-draft")

    # Change the fee, add a line (a bad quantity first: named, nothing typed lost), save.
    first.get_by_label("単価(円)").fill("48000")
    added = page.get_by_role("group", name="2行目(追加する行)")
    added.get_by_label("内容").fill("バナー制作")
    added.get_by_label("数量").fill("二")
    added.get_by_label("単位").fill("点")
    added.get_by_label("単価(円)").fill("15,000")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.get_by_role("alert")).to_contain_text("2行目の数量")
    added = page.get_by_role("group", name="2行目")
    expect(added.get_by_label("内容")).to_have_value("バナー制作")
    expect(page.get_by_role("group", name="1行目").get_by_label("単価(円)")).to_have_value("48000")
    added.get_by_label("数量").fill("2")
    third = page.get_by_role("group", name="3行目(追加する行)")
    third.get_by_label("内容").fill("不要な行")
    third.get_by_label("数量").fill("1")
    third.get_by_label("単価(円)").fill("1")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.get_by_role("status")).to_contain_text("下書きを保存しました。")
    page.get_by_role("group", name="3行目").get_by_label("削除").check()
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.get_by_role("status")).to_contain_text("下書きを保存しました。")
    saved = page.get_by_role("region", name="保存した明細と合計")
    expect(saved).to_contain_text("バナー制作")
    expect(saved).not_to_contain_text("不要な行")
    expect(saved).to_contain_text("85,800円")  # 78,000 + 10 % (7,800)

    # 発行: the dialog says what it does; then the number.
    page.get_by_role("button", name="発行する").click()
    dialog = page.get_by_role("dialog", name="この請求書を発行しますか?")
    expect(dialog).to_contain_text("85,800円")
    shot(page, f"{size}-issue-dialog")
    dialog.get_by_role("button", name="はい、発行する").click()
    expect(page.get_by_role("status")).to_contain_text("請求書を発行しました")
    number = page.get_by_role("heading", level=1).inner_text().split()[1]
    expect(page.get_by_role("link", name="PDFをダウンロード")).to_be_visible()
    shot(page, f"{size}-issued")

    # The client admin: 請求書 in the menu, the invoice, its PDF.
    client_page = _open(open_page, size)
    log_in(client_page, live_server.url, client_admin.user_id)
    if size == "phone":
        client_page.get_by_text("メニュー", exact=True).click()  # the menu is folded on a phone
    client_page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="請求書").click()
    expect(heading(client_page, "請求書")).to_be_visible()
    shot(client_page, f"{size}-client-list")
    client_page.get_by_role("link", name=number).click()
    expect(heading(client_page, f"請求書 {number}")).to_be_visible()
    expect(client_page.get_by_text("85,800円").first).to_be_visible()
    shot(client_page, f"{size}-client-invoice")
    with client_page.expect_download() as downloading:
        client_page.get_by_role("link", name="PDFをダウンロード").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages)
    for required in (f"株式会社請求{tag} 御中", "株式会社テスト制作", "登録番号: T1234567890123", number,
                     "バナー制作", "10%対象 消費税", "7,800円", "85,800円"):
        assert required in text, required
