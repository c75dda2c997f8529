"""The estimate and its approval in a real browser, from both sides: staff estimate from the
ポイント表 -> the client sees the effect on its balance -> 差し戻し with a reason -> staff revise ->
承認 -> 対応中 -> 完了 -> the ledger on the client's 管理画面 shows the charge.

Found by what people see (labels, button names, headings); waits are Playwright's `expect`.
Screenshots of the pages built here are kept in test-artifacts/ for review.
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, ledger, menu, pointrules
from tests.support.browser import WCAG_21_AA, axe_violations, keep_screenshot, log_in
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser


def shot(page: Page, name: str) -> None:
    """Keep the page for review, and hold it to WCAG 2.1 AA as axe-core checks it."""
    keep_screenshot(page, f"points-{name}")
    assert axe_violations(page, tags=WCAG_21_AA, impacts=None) == [], name


def estimate_panel(page: Page):
    return page.get_by_role("region", name=re.compile("^見積"))


def test_estimate_returned_revised_approved_and_charged(live_server, open_page):
    base = live_server.url
    suffix = uuid.uuid4().hex[:6]
    company = make_company(f"株式会社見積{suffix}")
    client = make_client(company, role=CLIENT_ADMIN, name="承認 花子")
    staff = make_user(role=AGENCY_STAFF, name="見積 太郎")
    admin = make_user(name="管理 一郎")
    item = menu.add_menu_item(admin, menu.MenuForm(new_category="テキスト・画像", name=f"画像の差し替え{suffix}",
                                                       points="2", description="1枚の画像を差し替えます"))
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=pointrules.PREPAID_MONTHLY, points="10", carry_over=True, approval_required=True,
        starts_on=ledger.today_jst().isoformat()))
    request = make_request(client, title="トップの画像を変えたい")
    url = f"{base}/requests/{request.request_id}"

    staff_page, client_page = open_page(), open_page()
    log_in(staff_page, base, staff.user_id)
    log_in(client_page, base, client.user_id)

    # Staff: 見積 from the ポイント表, 3 images.
    staff_page.goto(url)
    panel = estimate_panel(staff_page)
    panel.get_by_text("見積を作成する").click()
    first = panel.get_by_role("group", name="項目 1")
    first.get_by_label("ポイント表から").select_option(label=f"画像の差し替え{suffix}(2 pt)")
    first.get_by_label("数量").fill("3")
    panel.get_by_role("button", name="見積を保存").click()
    expect(staff_page.get_by_role("status")).to_have_text("見積を保存しました。お客様の承認をお待ちください。")
    expect(panel.locator(".estimate__total")).to_contain_text("6 pt")
    # With 見積承認が必要, the work waits.
    manage = staff_page.get_by_role("region", name="対応状況の変更")
    manage.get_by_label("状態").select_option(label="対応中")
    manage.get_by_role("button", name="保存する").click()
    expect(staff_page.get_by_role("alert")).to_contain_text("見積の承認が必要な契約です。")
    shot(staff_page, "staff-estimate")

    # Client: sees the estimate and its effect on the balance, and sends it back with a reason.
    client_page.goto(url)
    panel = estimate_panel(client_page)
    expect(panel).to_contain_text(f"画像の差し替え{suffix}")
    expect(panel.locator(".estimate__effect")).to_have_text(re.compile(r"残り\s*10 pt\s*→\s*4 pt"))
    shot(client_page, "client-estimate")
    panel.get_by_role("button", name="差し戻し").click()
    expect(client_page.get_by_role("alert")).to_be_visible()  # the reason is required
    estimate_panel(client_page).get_by_label("差し戻しの理由").fill("2枚で足ります")
    estimate_panel(client_page).get_by_role("button", name="差し戻し").click()
    expect(client_page.get_by_role("status")).to_have_text("見積を差し戻しました。")
    expect(client_page.get_by_role("region", name="やりとり")).to_contain_text("【見積の差し戻し】2枚で足ります")

    # Staff: revise to 2 images.
    staff_page.goto(url)
    panel = estimate_panel(staff_page)
    expect(panel).to_contain_text("差し戻し")
    panel.get_by_text("見積を修正する").click()
    panel.get_by_role("group", name="項目 1").get_by_label("数量").fill("2")
    panel.get_by_role("button", name="見積を保存").click()
    expect(staff_page.get_by_role("status")).to_have_text("見積を保存しました。お客様の承認をお待ちください。")

    # Client: 承認.
    client_page.goto(url)
    panel = estimate_panel(client_page)
    expect(panel.locator(".estimate__effect")).to_have_text(re.compile(r"残り\s*10 pt\s*→\s*6 pt"))
    panel.get_by_role("button", name="承認").click()
    asked = client_page.get_by_role("dialog", name="この見積を承認しますか?")  # it spends points: asks first
    expect(asked).to_contain_text("10 pt → 6 pt")
    asked.get_by_role("button", name="はい、承認する").click()
    expect(client_page.get_by_role("status")).to_have_text("見積を承認しました。")
    expect(estimate_panel(client_page)).to_contain_text("承認済み")

    # Staff: 対応中, then 完了: the points are charged.
    staff_page.goto(url)
    for status in ("対応中", "完了"):
        manage = staff_page.get_by_role("region", name="対応状況の変更")
        manage.get_by_label("状態").select_option(label=status)
        manage.get_by_role("button", name="保存する").click()
        expect(staff_page.get_by_role("status")).to_have_text("依頼を更新しました。")
    expect(staff_page.get_by_role("region", name="やりとり")).to_contain_text("完了により4 pt 消費しました")

    # Client: the 管理画面 shows the balance and the charge in the ledger.
    client_page.goto(base + "/")
    balance = client_page.get_by_role("region", name="残りポイント")
    expect(balance.locator(".points-summary__value")).to_have_text("6")
    row = balance.get_by_role("row").filter(has_text="消費")
    expect(row).to_contain_text(f"#{int(request.number)} トップの画像を変えたい")
    expect(row).to_contain_text("-4")
    shot(client_page, "client-dashboard")

    client_page.get_by_role("link", name="月次明細").first.click()
    expect(client_page.get_by_role("heading", level=1, name=re.compile("月次明細"))).to_be_visible()
    expect(client_page.get_by_role("link", name="CSVダウンロード")).to_be_visible()
    shot(client_page, "client-statement")

    # The agency's pages: the company's contract and ledger, the ポイント表, the overview.
    admin_page = open_page()
    log_in(admin_page, base, admin.user_id)
    admin_page.goto(f"{base}/clients/{company.company_id}")
    expect(admin_page.get_by_role("region", name="保守契約とポイント")).to_contain_text("毎月 10 pt")
    shot(admin_page, "agency-company")
    admin_page.goto(f"{base}/points/menu")
    expect(admin_page.get_by_role("heading", level=2, name="作業を追加")).to_be_visible()
    shot(admin_page, "agency-menu")
    admin_page.goto(f"{base}/points")
    expect(admin_page.get_by_role("row").filter(has_text=company.name)).to_contain_text("4 pt")
    shot(admin_page, "agency-overview")
    assert item.item_id
