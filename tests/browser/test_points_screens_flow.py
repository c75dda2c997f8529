"""The points screens of issue 16 item 10 in Chromium, at 1280x800 and 390x844, clicked by their
labels: the estimate editor (a note per line, a running total, rows added and removed; without
JavaScript the fixed rows), a returned estimate that says it is not spent, the ポイント表's 分類
chosen or added on purpose, and the 月次明細's month from two selects, never in the future.
Screenshots in /tmp/shots-points/ (and test-artifacts/)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, ledger, menu, pointrules
from tests.support.browser import DESKTOP, keep_screenshot, log_in, token
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = Path("/tmp/shots-points")
SIZES = pytest.mark.parametrize("size", sorted(VIEWPORTS))


def shot(page: Page, name: str, part=None) -> None:
    """The page (and ``part``, a locator, on its own: a phone's full page is too long to read)."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if part is not None:
        part.screenshot(path=str(SHOTS / f"{name}-part.png"))
    keep_screenshot(page, f"points-screens-{name}")


def _open(open_page, size: str, **options) -> Page:
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    return open_page(viewport=VIEWPORTS[size], **extra, **options)


def _panel(page: Page):
    return page.get_by_role("region", name=re.compile("^見積"))


def _world():
    tag = token()
    company = make_company(f"株式会社画面{tag}")
    client = make_client(company, role=CLIENT_ADMIN, name="画面 花子")
    staff = make_user(role=AGENCY_STAFF, name="見積 太郎")
    admin = make_user(name="管理 一郎")
    item = menu.add_menu_item(admin, menu.MenuForm(new_category=f"画像{tag}", name=f"画像の差し替え{tag}",
                                                   points="2"))
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=pointrules.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    return tag, company, client, staff, admin, item


@SIZES
def test_the_estimate_editor_keeps_notes_totals_as_typed_and_adds_and_removes_rows(live_server, open_page, size):
    tag, company, client, staff, admin, item = _world()
    request = make_request(client, title="画像を2枚変えたい")
    page = _open(open_page, size)
    log_in(page, live_server.url, staff.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    panel = _panel(page)
    panel.get_by_text("見積を作成する").click()
    total = panel.locator("[data-running-total]")
    expect(total).to_contain_text("合計(目安): 0 pt")
    option = f"画像の差し替え{tag}(2 pt)"
    first, second = panel.get_by_role("group", name="項目 1"), panel.get_by_role("group", name="項目 2")
    first.get_by_label("ポイント表から").select_option(label=option)
    first.get_by_label("メモ(任意)").fill("トップのメイン画像")
    expect(total).to_contain_text("合計(目安): 2 pt")
    second.get_by_label("ポイント表から").select_option(label=option)
    second.get_by_label("メモ(任意)").fill("会社概要の写真")
    second.get_by_label("数量").fill("2")
    expect(total).to_contain_text("合計(目安): 6 pt")
    # Rows: one added (focus in it), filled, counted; then removed and no longer counted.
    rows = panel.locator("[data-estimate-row]")
    count = rows.count()
    panel.get_by_role("button", name="項目を追加").click()
    added = panel.get_by_role("group", name=f"項目 {count + 1}")
    expect(added.get_by_label("ポイント表から")).to_be_focused()
    added.get_by_label("項目名").fill("撮影")
    added.get_by_label("ポイント", exact=True).fill("2.5")
    expect(total).to_contain_text("合計(目安): 8.5 pt")
    shot(page, f"estimate-editor-{size}", panel)
    added.get_by_role("button", name="この項目を削除").click()
    expect(rows).to_have_count(count)
    expect(total).to_contain_text("合計(目安): 6 pt")
    panel.get_by_role("group", name="項目 3").get_by_role("button", name="この項目を削除").click()
    expect(rows).to_have_count(count - 1)
    expect(panel.get_by_role("group", name=f"項目 {count - 1}")).to_be_visible()  # renumbered
    panel.get_by_role("button", name="見積を保存").click()
    expect(page.get_by_role("status")).to_have_text("見積を保存しました。お客様の承認をお待ちください。")
    lines = _panel(page).locator(".estimate__lines")
    expect(lines).to_contain_text(re.compile(rf"画像の差し替え{tag}\s*トップのメイン画像"))
    expect(lines).to_contain_text(re.compile(rf"画像の差し替え{tag}\s*会社概要の写真"))
    expect(_panel(page).locator(".estimate__total")).to_contain_text("6 pt")
    shot(page, f"estimate-saved-{size}", _panel(page))

    # The client sends it back: the panel no longer speaks of points spent at completion.
    other = _open(open_page, size)
    log_in(other, live_server.url, client.user_id)
    other.goto(f"{live_server.url}/requests/{request.request_id}")
    expect(_panel(other).locator(".estimate__effect")).to_contain_text("完了時に消費")
    _panel(other).get_by_label("差し戻しの理由").fill("1枚で足ります")
    _panel(other).get_by_role("button", name="差し戻し").click()
    expect(other.get_by_role("status")).to_have_text("見積を差し戻しました。")
    effect = _panel(other).locator(".estimate__effect")
    expect(effect).to_contain_text("差し戻した見積のポイントは消費されません")
    expect(effect).not_to_contain_text("完了時に")
    shot(other, f"estimate-returned-{size}", _panel(other))


def test_without_javascript_the_estimate_editor_posts_its_fixed_rows_with_notes(live_server, open_page):
    tag, company, client, staff, admin, item = _world()
    request = make_request(client, title="画像を変えたい")
    page = _open(open_page, "desktop", java_script_enabled=False)
    log_in(page, live_server.url, staff.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    panel = _panel(page)
    panel.get_by_text("見積を作成する").click()
    expect(panel.get_by_role("button", name="項目を追加")).to_be_hidden()
    expect(panel.get_by_role("button", name="この項目を削除")).to_have_count(0)
    expect(panel.get_by_role("group", name="項目 5")).to_be_visible()
    panel.get_by_role("group", name="項目 1").get_by_label("ポイント表から").select_option(
        label=f"画像の差し替え{tag}(2 pt)")
    panel.get_by_role("group", name="項目 1").get_by_label("メモ(任意)").fill("ロゴ")
    panel.get_by_role("button", name="見積を保存").click()
    expect(page.get_by_role("status")).to_have_text("見積を保存しました。お客様の承認をお待ちください。")
    expect(_panel(page).locator(".estimate__lines")).to_contain_text(re.compile(rf"画像の差し替え{tag}\s*ロゴ"))
    saved = estimates.estimate_of(request.request_id)
    assert [(line.name, line.note) for line in saved.lines] == [(f"画像の差し替え{tag}", "ロゴ")]


@SIZES
def test_a_menu_category_is_chosen_or_added_on_purpose(live_server, open_page, size):
    tag, company, client, staff, admin, item = _world()
    page = _open(open_page, size)
    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/points/menu")
    form = page.get_by_role("region", name="作業を追加")
    new_name = form.get_by_label("新しい分類の名前")
    form.get_by_label("分類", exact=True).select_option(label=f"画像{tag}")
    expect(new_name).to_be_hidden()
    form.get_by_label("作業名").fill(f"バナー画像{tag}")
    form.get_by_label("ポイント", exact=True).fill("1.5")
    form.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("status")).to_have_text("ポイント表に追加しました。")
    form = page.get_by_role("region", name="作業を追加")
    form.get_by_label("分類", exact=True).select_option(label="新しい分類を追加")
    expect(form.get_by_label("新しい分類の名前")).to_be_focused()
    form.get_by_label("新しい分類の名前").fill(f"ページ{tag}")
    form.get_by_label("作業名").fill(f"ページ追加{tag}")
    form.get_by_label("ポイント", exact=True).fill("5")
    shot(page, f"menu-new-category-{size}", form)
    form.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("status")).to_have_text("ポイント表に追加しました。")
    expect(page.get_by_role("heading", level=3, name=f"画像{tag}")).to_have_count(1)
    expect(page.get_by_role("heading", level=3, name=f"ページ{tag}")).to_be_visible()
    expect(page.get_by_role("region", name="作業を追加").get_by_label("分類", exact=True).locator(
        "option", has_text=f"ページ{tag}")).to_have_count(1)


def test_without_javascript_both_category_fields_are_shown_and_a_clash_is_said(live_server, open_page):
    tag, company, client, staff, admin, item = _world()
    page = _open(open_page, "desktop", java_script_enabled=False)
    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/points/menu")
    form = page.get_by_role("region", name="作業を追加")
    form.get_by_label("分類", exact=True).select_option(label=f"画像{tag}")
    form.get_by_label("新しい分類の名前").fill(f"動画{tag}")
    form.get_by_label("作業名").fill("動画の差し替え")
    form.get_by_label("ポイント", exact=True).fill("3")
    form.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("alert")).to_contain_text("「新しい分類を追加」を選んでください")
    form = page.get_by_role("region", name="作業を追加")
    expect(form.get_by_label("新しい分類の名前")).to_have_value(f"動画{tag}")
    form.get_by_label("分類", exact=True).select_option(label="新しい分類を追加")
    form.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("status")).to_have_text("ポイント表に追加しました。")
    expect(page.get_by_role("heading", level=3, name=f"動画{tag}")).to_be_visible()


@SIZES
def test_the_statement_month_is_picked_with_selects_and_never_in_the_future(live_server, open_page, size):
    tag, company, client, staff, admin, item = _world()
    ledger.top_up(admin, company.company_id, points="2.5", note="追加分")
    today = ledger.today_jst()
    this_month = pointrules.month_of(today)
    before = pointrules.previous_month(this_month)
    page = _open(open_page, size)
    log_in(page, live_server.url, client.user_id)
    page.goto(f"{live_server.url}/points/statement")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(pointrules.month_label(this_month))
    expect(page.get_by_role("link", name="次の月")).to_have_count(0)
    rows = page.get_by_role("region", name="ポイント履歴").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("チャージ")  # newest first, as the ポイント履歴
    expect(rows.nth(2)).to_contain_text(f"{pointrules.month_label(this_month)}分の付与")
    shot(page, f"statement-{size}", page.locator("main"))
    picker = page.get_by_role("group", name="表示する月")
    picker.get_by_label("年").select_option(label=f"{int(before[:4])}年")
    picker.get_by_label("月", exact=True).select_option(label=f"{int(before[5:])}月")
    page.get_by_role("button", name="表示する").click()
    expect(heading).to_contain_text(pointrules.month_label(before))
    page.get_by_role("link", name="次の月").click()
    expect(heading).to_contain_text(pointrules.month_label(this_month))
    if today.month < 12:
        # A later month of this year can be chosen in the selects: the server says no.
        picker = page.get_by_role("group", name="表示する月")
        picker.get_by_label("月", exact=True).select_option(label=f"{today.month + 1}月")
        page.get_by_role("button", name="表示する").click()
    else:
        page.goto(f"{live_server.url}/points/statement?month={pointrules.next_month(this_month)}")
    expect(page.get_by_role("alert")).to_contain_text("先の月の明細はまだありません")
    shot(page, f"statement-future-{size}", page.locator("main"))


MAIL_SHOTS = Path("/tmp/shots-mail")


def _keep(page: Page, name: str) -> None:
    MAIL_SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(MAIL_SHOTS / f"{name}.png"), full_page=True)


def _a_month_of_entries():
    """A company whose month holds one entry of each kind the ledger writes in a month: the
    contract's 付与 (10), a チャージ (2.5), a 完了's 消費 (1.5) and a 調整 (-0.5), in that order."""
    tag, company, client, staff, admin, item = _world()
    ledger.top_up(admin, company.company_id, points="2.5", note=f"追加分{tag}")
    request = make_request(client, title=f"お知らせの追加{tag}")
    estimates.save_estimate(staff, request.request_id, [estimates.LineInput(name="お知らせの追加", points="1.5")],
                            version=0)
    from chalicelib.services import listings, requests, workflow

    current = listings.view_request(staff, request.request_id).request
    requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE),
                            revision=current.revision)
    ledger.adjust(admin, company.company_id, points="-0.5", note=f"二重登録の訂正{tag}")
    return tag, company, client, request


def _ledger_rows(page: Page, count: int) -> list[list[str]]:
    """The cells of the ポイント履歴 the page shows, row by row (the header left out), once it
    shows ``count`` rows."""
    rows = page.get_by_role("region", name="ポイント履歴").get_by_role("row")
    expect(rows).to_have_count(count + 1)
    return [[cell.strip() for cell in rows.nth(i).get_by_role("cell").all_inner_texts()] for i in range(1, count + 1)]


@SIZES
def test_the_statement_lists_the_entries_in_the_order_of_the_points_history(live_server, open_page, size):
    """The client opens 残りポイント (its ポイント履歴) and the 月次明細 of the month: both list the
    month's four entries newest first, row for row the same."""
    tag, company, client, request = _a_month_of_entries()
    page = _open(open_page, size)
    log_in(page, live_server.url, client.user_id)
    page.goto(f"{live_server.url}/points")
    expect(page.get_by_role("heading", level=1, name="残りポイント")).to_be_visible()
    history = _ledger_rows(page, 4)
    assert [row[1] for row in history] == ["調整", "消費", "チャージ", "付与"], history
    _keep(page, f"points-history-{size}")

    page.get_by_role("link", name="月次明細").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        pointrules.month_label(pointrules.month_of(ledger.today_jst())))
    assert _ledger_rows(page, 4) == history
    _keep(page, f"statement-order-{size}")


def test_the_statement_csv_downloaded_in_the_browser_writes_points_and_entries_as_the_screen(live_server, page):
    """The client clicks CSVダウンロード on the 月次明細: the file (UTF-8 with BOM) lists the screen's
    rows in the screen's order, with the points as the screen writes them (10, 2.5, -1.5; no
    "10.0"), the 付与 as 「2026年12月分の付与」 and the times as on screen; its last row is the
    month's usage."""
    import csv
    import io

    tag, company, client, request = _a_month_of_entries()
    month = pointrules.month_of(ledger.today_jst())
    log_in(page, live_server.url, client.user_id)
    page.goto(f"{live_server.url}/points/statement")
    shown = _ledger_rows(page, 4)
    _keep(page, "statement-csv-desktop")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="CSVダウンロード").click()
    download = downloading.value
    assert download.suggested_filename == f"{company.name}_{month}_月次明細.csv"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["日時", "種類", "依頼番号", "件名", "内容", "ポイント", "残りポイント"]
    entries, total = rows[1:5], rows[5]
    assert [(r[0], r[1], r[5], r[6]) for r in entries] == [
        (s[0], s[1], s[4].removeprefix("+"), s[5]) for s in shown]  # the screen's 日時, 種類, ポイント, 残り
    assert [r[5] for r in entries] == ["-0.5", "-1.5", "2.5", "10"]
    assert [r[6] for r in entries] == ["10.5", "11", "12.5", "10"]
    assert entries[3][4] == f"{pointrules.month_label(month)}分の付与"
    assert (entries[1][2], entries[1][3]) == (f"#{request.number}", request.title)
    assert shown[1][2] == f"#{request.number} {request.title}"
    assert [entries[0][4], entries[2][4]] == [f"二重登録の訂正{tag}", f"追加分{tag}"]
    assert total[:2] == ["合計", "利用ポイント"] and total[5] == "1.5"
    assert len(rows) == 6
