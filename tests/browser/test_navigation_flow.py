"""A way everywhere, in Chromium without JavaScript (issue 17 items 2 and 4): each side's menu at
1280x800 and as a 「メニュー」 button at 390x844, the signed-in name whole in the header, the
breadcrumbs leading back, and 月次明細 and the request page (with its 見積) printed on A4 with
no navigation, with the company, the month and numbered pages.
Screenshots in /tmp/shots-nav/ (and test-artifacts/); the printed PDFs as PNGs there too when
poppler's pdftoppm is installed."""
from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, ledger, menu, pointrules, requests
from tests.support.browser import DESKTOP, heading, keep_screenshot, log_in, token
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots-nav")
LONG_NAME = "長谷川 由紀子 マーケティング部 ウェブ担当"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    keep_screenshot(page, f"navigation-{name}")


def _menu(page: Page):
    return page.get_by_role("navigation", name="メインメニュー")


def _crumbs(page: Page):
    return page.get_by_role("navigation", name="パンくずリスト")


def _world():
    tag = token()
    company = make_company(f"株式会社案内{tag}")
    client = make_client(company, role=CLIENT_ADMIN, name=LONG_NAME)
    admin = make_user(name=f"制作 管理者{tag}")
    return tag, company, client, admin


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _name_is_whole(page: Page, name: str) -> None:
    """The header shows the whole name: nothing cut off, clipped or ellipsised, inside the window."""
    user = page.locator(".account-menu__user")
    expect(user).to_contain_text(name)
    assert user.evaluate("""(el) => {
        const box = el.getBoundingClientRect();
        return el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1
            && box.left >= 0 && box.right <= window.innerWidth && box.width >= 120;
    }""")


def _toggle_state(page: Page) -> list[tuple[str, bool]]:
    """How Chromium tells assistive technology about 「メニュー」: (role, expanded) of each node so
    named. A <summary> is a disclosure button (DisclosureTriangle), expanded or not."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    return [(node["role"]["value"], next((p["value"]["value"] for p in node.get("properties", [])
                                          if p["name"] == "expanded"), False))
            for node in nodes if not node.get("ignored") and node.get("name", {}).get("value") == "メニュー"
            and node["role"]["value"] not in ("StaticText", "InlineTextBox")]


def test_the_agency_menu_is_a_bar_on_a_desktop_and_the_trail_leads_back(live_server, open_page):
    tag, company, client, admin = _world()
    page = open_page(viewport=DESKTOP, java_script_enabled=False)
    log_in(page, live_server.url, admin.user_id)
    expect(page.get_by_text("メニュー", exact=True)).to_be_hidden()
    assert _toggle_state(page) == []  # no button on a wide screen: the menu is always there
    menu = _menu(page)
    expect(menu.get_by_role("link")).to_have_text(["受信箱", "クライアント管理", "ポイント", "請求書", "担当者", "監査ログ", "設定"])
    expect(menu.get_by_role("link", name="受信箱")).to_have_attribute("aria-current", "page")
    shot(page, "agency-home-desktop")

    menu.get_by_role("link", name="クライアント管理").click()
    expect(heading(page, "クライアント管理")).to_be_visible()
    expect(_menu(page).get_by_role("link", name="クライアント管理")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name=company.name).first.click()
    expect(heading(page, company.name)).to_be_visible()
    # Inside the section: its entry is marked, and the trail names every level.
    expect(_menu(page).get_by_role("link", name="クライアント管理")).to_have_attribute("aria-current", "true")
    expect(_crumbs(page).get_by_role("listitem")).to_have_text(["管理画面", "クライアント管理", company.name])
    expect(_crumbs(page).locator("[aria-current=page]")).to_have_text(company.name)
    shot(page, "company-desktop")

    page.get_by_role("link", name="月次明細", exact=True).click()
    expect(_crumbs(page).get_by_role("listitem")).to_have_text(["管理画面", "クライアント管理", company.name, "月次明細"])
    _crumbs(page).get_by_role("link", name=company.name).click()
    expect(heading(page, company.name)).to_be_visible()
    _crumbs(page).get_by_role("link", name="クライアント管理").click()
    expect(heading(page, "クライアント管理")).to_be_visible()

    _menu(page).get_by_role("link", name="設定").click()
    expect(heading(page, "設定")).to_be_visible()
    page.goto(live_server.url + "/settings/urgency")
    _crumbs(page).get_by_role("link", name="設定").click()
    expect(heading(page, "設定")).to_be_visible()
    shot(page, "settings-desktop")


def test_the_client_menu_is_a_button_on_a_phone_and_the_whole_name_shows(live_server, open_page):
    tag, company, client, admin = _world()
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    log_in(page, live_server.url, client.user_id)
    _name_is_whole(page, LONG_NAME)
    _no_sideways_scroll(page)
    links = _menu(page).get_by_role("link")
    expect(links.first).to_be_hidden()  # folded away until asked for
    shot(page, "client-home-phone")

    toggle = page.get_by_text("メニュー", exact=True)
    box = toggle.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    assert _toggle_state(page) == [("DisclosureTriangle", False)]
    toggle.click()
    assert _toggle_state(page) == [("DisclosureTriangle", True)]
    expect(links).to_have_text(["管理画面", "依頼一覧", "ポイント", "月次保守レポート", "請求書", "アカウント管理", "監査ログ"])
    expect(_menu(page).get_by_role("link", name="管理画面")).to_have_attribute("aria-current", "page")
    for index in range(links.count()):
        size = links.nth(index).bounding_box()
        assert size["width"] >= 24 and size["height"] >= 24
    shot(page, "client-menu-open-phone")

    _menu(page).get_by_role("link", name="アカウント管理").click()
    expect(heading(page, "アカウント管理")).to_be_visible()
    _name_is_whole(page, LONG_NAME)
    _no_sideways_scroll(page)
    shot(page, "accounts-phone")
    # A form below it says where its trail leads; the trail leads back up, level by level.
    page.get_by_role("link", name="新規アカウント登録").click()
    expect(_crumbs(page).get_by_role("listitem")).to_have_text(["管理画面", "アカウント管理", "アカウント登録"])
    _crumbs(page).get_by_role("link", name="アカウント管理").click()
    expect(heading(page, "アカウント管理")).to_be_visible()
    _crumbs(page).get_by_role("link", name="管理画面").click()
    expect(heading(page, "管理画面")).to_be_visible()

    page.get_by_role("navigation", name="アカウントメニュー").get_by_role("link", name="パスワード変更").click()
    expect(heading(page, "パスワード変更")).to_be_visible()
    _crumbs(page).get_by_role("link", name="管理画面").click()
    expect(heading(page, "管理画面")).to_be_visible()


def test_the_agency_menu_at_phone_width_and_the_headers_of_every_side(live_server, open_page):
    tag, company, client, admin = _world()
    staff = make_user(role=AGENCY_STAFF, name="渡辺 健一郎 制作進行")
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    log_in(page, live_server.url, staff.user_id)
    _name_is_whole(page, "渡辺 健一郎 制作進行")
    page.get_by_text("メニュー", exact=True).click()
    # Staff do not manage the agency's settings nor its invoices: no 設定 or 請求書 entry.
    expect(_menu(page).get_by_role("link")).to_have_text(["受信箱", "クライアント管理", "ポイント", "担当者"])
    shot(page, "staff-menu-open-phone")
    _menu(page).get_by_role("link", name="担当者").click()
    expect(heading(page, "担当者アカウント")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "staff-list-phone")


# ---- Printing. ----

def _pdf_pages(pdf: bytes, name: str) -> list[str]:
    """The text of each printed page; the pages kept as PNGs to look at when pdftoppm exists."""
    from pypdf import PdfReader

    SHOTS.mkdir(exist_ok=True)
    (SHOTS / f"{name}.pdf").write_bytes(pdf)
    for stale in SHOTS.glob(f"{name}-*.png"):
        stale.unlink()
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(SHOTS / f"{name}.pdf"), str(SHOTS / name)], check=True)
    reader = PdfReader(io.BytesIO(pdf))
    for sheet in reader.pages:  # A4: 210 x 297 mm in points
        assert abs(float(sheet.mediabox.width) - 595.3) < 2 and abs(float(sheet.mediabox.height) - 841.9) < 2
    # NFKC: the PDF's fonts map some kanji to their Kangxi radical look-alikes (⽉ for 月).
    return [unicodedata.normalize("NFKC", sheet.extract_text()) for sheet in reader.pages]


def _assert_printed_without_navigation(pages: list[str]) -> None:
    count = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {count}" in text, (number, text[-200:])
        for frame in ("受信箱", "ログアウト", "メール通知設定", "お電話でのご依頼は受け付けておりません", "メニュー"):
            assert frame not in text, (number, frame)


def test_the_statement_and_the_request_print_on_a4_without_navigation(live_server, open_page):
    tag, company, client, admin = _world()
    staff = make_user(role=AGENCY_STAFF, name="見積 太郎")
    item = menu.add_menu_item(admin, menu.MenuForm(new_category=f"文言{tag}", name=f"文言の変更{tag}", points="1"))
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=pointrules.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    request = make_request(client, title=f"採用ページの更新{tag}")
    estimates.save_estimate(staff, request.request_id, [estimates.LineInput(menu_item_id=item.item_id, quantity="2")],
                            version=0)
    for number in range(1, 31):  # a long thread: the request runs over several sheets
        requests.add_comment(client if number % 2 else staff, request.request_id,
                             f"{number}件目のやりとりです。画像の差し替えと文言の修正について確認します。")
    month = pointrules.month_label(pointrules.month_of(ledger.today_jst()))

    page = open_page(viewport=DESKTOP, java_script_enabled=False)
    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/clients/{company.company_id}/statement")
    expect(heading(page, "月次明細")).to_be_visible()
    statement = _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True), "print-statement")
    _assert_printed_without_navigation(statement)
    assert company.name in statement[0] and month in statement[0]

    page.goto(f"{live_server.url}/requests/{request.request_id}")
    sheets = _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True), "print-request")
    assert len(sheets) >= 2
    _assert_printed_without_navigation(sheets)
    first = sheets[0]
    assert company.name in first and f"採用ページの更新{tag}" in first and f"文言の変更{tag}" in first  # with its 見積
    assert "30件目のやりとりです" in "".join(sheets)
