"""Manual sections 2 and 3 in a real browser: 新規依頼 from the 管理画面 to the 依頼の進行画面, the
red + and the コメント入力画面 (with and without JavaScript), and the agency's side of the same
request: the 受信箱, 対応状況の変更, 社内メモ, 確認待ち → 完了を確認する, and two people saving at once.

Everything is found by what a user sees (labels, button names, headings); waits are Playwright's
auto-retrying `expect`, never sleeps. Every test makes its own company and accounts (the emulator
is shared by the whole session).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from tests.support.browser import REQUEST_URL, heading, log_in, thread, token
from tests.support.factories import make_client, make_company, make_request

pytestmark = pytest.mark.browser

JST = timezone(timedelta(hours=9))
MARKUP_MESSAGE = ("HTMLタグやスクリプトタグは入力できません。タグをお送りいただく場合は、"
                  "テキストファイルなどに保存して「添付ファイル」でお送りください。")
CONFLICT_MESSAGE = "ほかの人が先に変更しました。"


def detail(page: Page, term: str):
    """The value (dd) shown beside a label (dt) of the request's summary."""
    return (page.get_by_role("article").locator("dt", has_text=re.compile(f"^{re.escape(term)}$"))
            .locator("xpath=following-sibling::dd[1]"))


def request_body(page: Page):
    return page.get_by_role("region", name="依頼内容")


def listed(scope, title: str):
    """The row of a request in a list (管理画面 / 受信箱); ``scope`` is the page or a part of it."""
    root = scope if isinstance(scope, Page) else scope.page
    return scope.get_by_role("listitem").filter(has=root.get_by_role("link", name=re.compile(re.escape(title))))


def manage_panel(page: Page):
    return page.get_by_role("region", name="対応状況の変更")


def future_date(days: int = 30):
    return datetime.now(JST).date() + timedelta(days=days)


def test_new_request_from_the_dashboard_to_the_progress_screen(page, live_server):
    # Manual section 2: 新規依頼 → 新規依頼の登録画面 → 依頼を登録する → 依頼の進行画面.
    tag = token()
    company = make_company(f"株式会社新規{tag}")
    requester = make_client(company, name=f"依頼 花子{tag}")
    colleague = make_client(company, name=f"関係 次郎{tag}")
    title = f"採用ページの募集要項の差し替え {tag}"
    url = "https://example.com/recruit/2026"
    due = future_date(30)

    log_in(page, live_server.url, requester.user_id)
    page.get_by_role("link", name="新規依頼").click()
    expect(heading(page, "新規依頼の登録")).to_be_visible()

    page.get_by_label("公開希望日").fill(due.isoformat())
    page.get_by_label("件名").fill(title)
    page.get_by_label("依頼内容").fill(f"募集要項を差し替えてください。\n参考: {url}")
    participants = page.get_by_role("group", name=re.compile("依頼関係者"))
    participants.get_by_label(colleague.name).check()
    page.get_by_role("button", name="依頼を登録する").click()

    expect(page).to_have_url(REQUEST_URL)
    expect(page.get_by_role("status")).to_have_text("依頼を登録しました。お返事まで少々お待ちください。")
    expect(heading(page, f"#1 {title}")).to_be_visible()
    expect(detail(page, "状態")).to_have_text("新規")
    expect(detail(page, "公開希望日")).to_have_text(due.strftime("%Y/%m/%d"))
    expect(detail(page, "依頼者")).to_have_text(requester.name)
    expect(detail(page, "依頼関係者")).to_have_text(colleague.name)

    body = request_body(page)
    link = body.get_by_role("link", name=url)
    expect(link).to_have_attribute("href", url)
    # The line break typed in 依頼内容 is still a line break on the screen.
    assert "募集要項を差し替えてください。\n参考: " + url in body.locator(".thread__text").inner_text()

    # The dashboard lists it under 新規.
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="管理画面").click()
    expect(heading(page, "管理画面")).to_be_visible()
    group = page.get_by_role("region", name=re.compile("^新規"))
    expect(listed(group, title)).to_have_count(1)


def test_markup_in_the_request_is_refused_and_everything_typed_is_kept(page, live_server):
    tag = token()
    company = make_company(f"株式会社タグ{tag}")
    requester = make_client(company, name=f"依頼 三郎{tag}")
    colleague = make_client(company, name=f"関係 四郎{tag}")
    title = f"見出しを太字に {tag}"
    body_text = "お知らせの見出しを\n<b>太字</b>\nにしてください。"
    due = future_date(14)

    log_in(page, live_server.url, requester.user_id)
    page.get_by_role("link", name="新規依頼").click()
    page.get_by_label("公開希望日").fill(due.isoformat())
    page.get_by_label("件名").fill(title)
    page.get_by_label("依頼内容").fill(body_text)
    page.get_by_role("group", name=re.compile("依頼関係者")).get_by_label(colleague.name).check()
    page.get_by_role("button", name="依頼を登録する").click()

    expect(heading(page, "新規依頼の登録")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("入力内容を確認してください。")
    body = page.get_by_label("依頼内容")
    expect(page.locator("#body-error")).to_have_text(MARKUP_MESSAGE)
    expect(page.get_by_role("alert").get_by_role("link", name=re.compile("^依頼内容"))).to_be_visible()
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description(re.compile(re.escape(MARKUP_MESSAGE)))
    # Everything typed is still there.
    expect(page.get_by_label("件名")).to_have_value(title)
    expect(body).to_have_value(body_text)
    expect(page.get_by_label("公開希望日")).to_have_value(due.isoformat())
    expect(page.get_by_role("group", name=re.compile("依頼関係者")).get_by_label(colleague.name)).to_be_checked()

    # Nothing was saved.
    page.get_by_role("link", name="キャンセル").click()
    expect(heading(page, "管理画面")).to_be_visible()
    expect(page.get_by_text("進行中の依頼はありません。")).to_be_visible()


def test_comment_with_javascript_appears_without_a_page_load(page, live_server):
    # Manual section 3: the red + opens the コメント入力 in place; コメント追加 adds it to the thread.
    tag = token()
    company = make_company(f"株式会社コメント{tag}")
    requester = make_client(company, name=f"依頼 五郎{tag}")
    request = make_request(requester, title=f"ロゴ画像の差し替え {tag}")
    comment = f"差し替え用の画像は明日お送りします。\n よろしくお願いします。{tag}"

    log_in(page, live_server.url, requester.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    expect(heading(page, f"#1 {request.title}")).to_be_visible()
    expect(thread(page)).to_contain_text("まだコメントはありません。")
    page.evaluate("window.__marker = 1")  # gone if the page is loaded again
    address = page.url

    page.get_by_role("link", name="コメントを追加").click()
    box = page.get_by_label("コメント", exact=True)
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    box.fill(comment)
    page.get_by_role("button", name="コメント追加").click()

    entry = thread(page).get_by_role("listitem").filter(has_text=tag)
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(requester.name)
    expect(entry).to_contain_text("お客様")
    expect(thread(page)).not_to_contain_text("まだコメントはありません。")
    expect(box).to_be_hidden()  # the form closed again
    assert page.evaluate("window.__marker") == 1  # the same page: no load happened
    assert page.url == address

    page.reload()
    expect(heading(page, f"#1 {request.title}")).to_be_visible()
    entry = thread(page).get_by_role("listitem").filter(has_text=tag)
    expect(entry).to_have_count(1)
    assert "明日お送りします。\n" in entry.locator(".thread__text").inner_text()
    assert page.evaluate("window.__marker") is None


def test_comment_without_javascript_goes_through_the_comment_screen(open_page, live_server):
    tag = token()
    company = make_company(f"株式会社ノーJS{tag}")
    requester = make_client(company, name=f"依頼 六郎{tag}")
    request = make_request(requester, title=f"会社概要の住所変更 {tag}")
    comment = f"新住所は別途お知らせします。{tag}"

    page = open_page(java_script_enabled=False)
    log_in(page, live_server.url, requester.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    expect(heading(page, f"#1 {request.title}")).to_be_visible()

    page.get_by_role("link", name="コメントを追加").click()
    expect(page).to_have_url(re.compile(rf"/requests/{request.request_id}/comment$"))
    expect(heading(page, "コメント入力")).to_be_visible()
    page.get_by_label("コメント", exact=True).fill(comment)
    page.get_by_role("button", name="コメント追加").click()

    expect(page).to_have_url(re.compile(rf"/requests/{request.request_id}\?notice=commented#entry-"))
    expect(heading(page, f"#1 {request.title}")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("コメントを追加しました。")
    expect(thread(page).get_by_role("listitem").filter(has_text=comment)).to_have_count(1)


def test_agency_takes_the_request_and_the_client_confirms_it(page, open_page, live_server, make_user):
    tag = token()
    staff = make_user(role=AGENCY_STAFF, name=f"担当 七海{tag}")
    company = make_company(f"株式会社受信箱{tag}")
    other_company = make_company(f"株式会社ほか{tag}")
    requester = make_client(company, name=f"依頼 八重{tag}")
    other = make_client(other_company, name=f"依頼 九条{tag}")
    request = make_request(requester, title=f"キャンペーンバナーの掲載 kw{tag}", body="トップに掲載してください。")
    other_request = make_request(other, title=f"営業時間の変更 {tag}", body="営業時間を変えてください。")
    memo = f"先方の過去案件と同じ作業。見積もりは1pt {tag}"

    # The 受信箱: both requests, with 未返信 (the client spoke last).
    log_in(page, live_server.url, staff.user_id)
    expect(page.get_by_role("heading", level=2, name=re.compile("受信箱"))).to_be_visible()
    row = listed(page, request.title)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("未返信")
    expect(row).to_contain_text(company.name)
    expect(row).to_contain_text("新規")
    expect(listed(page, other_request.title)).to_have_count(1)

    search = page.get_by_role("search", name="依頼の絞り込み")
    search.get_by_label("キーワード").fill(f"KW{tag}")  # case and width do not matter
    search.get_by_role("button", name="絞り込む").click()
    expect(search.get_by_label("キーワード")).to_have_value(f"KW{tag}")
    expect(listed(page, request.title)).to_have_count(1)
    expect(listed(page, other_request.title)).to_have_count(0)

    search.get_by_label("キーワード").fill("")
    search.get_by_label("会社").select_option(label=other_company.name)
    search.get_by_role("button", name="絞り込む").click()
    expect(listed(page, other_request.title)).to_have_count(1)
    expect(listed(page, request.title)).to_have_count(0)
    search.get_by_label("会社").select_option(label=company.name)
    search.get_by_role("button", name="絞り込む").click()
    expect(listed(page, other_request.title)).to_have_count(0)

    # Take it: 対応中, assigned to me, with a 社内メモ.
    listed(page, request.title).get_by_role("link").click()
    expect(heading(page, f"#1 {request.title}")).to_be_visible()
    panel = manage_panel(page)
    panel.get_by_label("状態").select_option(label="対応中")
    panel.get_by_label("担当者").select_option(label=staff.name)
    panel.get_by_label("社内メモ").fill(memo)
    panel.get_by_role("button", name="保存する").click()

    expect(page.get_by_role("status")).to_have_text("依頼を更新しました。")
    expect(detail(page, "状態")).to_have_text("対応中")
    expect(detail(page, "担当者")).to_have_text(staff.name)
    expect(thread(page)).to_contain_text(f"{staff.name}が状態を「新規」から「対応中」に変更しました")
    expect(thread(page)).to_contain_text(f"{staff.name}が担当者を「未定」から「{staff.name}」に変更しました")
    memo_entry = thread(page).get_by_role("listitem").filter(has_text=memo)
    expect(memo_entry).to_have_count(1)
    expect(memo_entry).to_contain_text("社内メモ")
    expect(manage_panel(page).get_by_label("社内メモ")).to_have_value("")

    # The client sees the new status and the events, never the memo.
    client = open_page()
    log_in(client, live_server.url, requester.user_id)
    client.goto(f"{live_server.url}/requests/{request.request_id}")
    expect(heading(client, f"#1 {request.title}")).to_be_visible()
    expect(detail(client, "状態")).to_have_text("対応中")
    expect(detail(client, "担当者")).to_have_text(staff.name)
    expect(thread(client)).to_contain_text("状態を「新規」から「対応中」に変更しました")
    expect(client.get_by_role("region", name="対応状況の変更")).to_have_count(0)
    expect(client.get_by_text(memo)).to_have_count(0)
    assert memo not in client.content()
    assert "社内メモ" not in client.content()
    expect(client.get_by_role("button", name="完了を確認する")).to_have_count(0)

    # The agency asks the client to check; the client confirms.
    panel = manage_panel(page)
    panel.get_by_label("状態").select_option(label="確認待ち")
    panel.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_have_text("依頼を更新しました。")
    expect(detail(page, "状態")).to_have_text("確認待ち")

    client.reload()
    expect(detail(client, "状態")).to_have_text("確認待ち")
    expect(client.get_by_role("region", name="確認のお願い")).to_be_visible()
    client.get_by_role("button", name="完了を確認する").click()
    expect(client.get_by_role("status")).to_have_text("完了を確認しました。ありがとうございました。")
    expect(detail(client, "状態")).to_have_text("完了")
    expect(thread(client)).to_contain_text(f"{requester.name}が状態を「確認待ち」から「完了」に変更しました")
    expect(client.get_by_role("button", name="完了を確認する")).to_have_count(0)
    assert memo not in client.content()

    page.reload()
    expect(detail(page, "状態")).to_have_text("完了")


def test_the_later_of_two_saves_is_told_and_keeps_what_was_typed(page, open_page, live_server, make_user):
    tag = token()
    first = make_user(role=AGENCY_STAFF, name=f"先手 一花{tag}")
    second = make_user(role=AGENCY_STAFF, name=f"後手 二葉{tag}")
    company = make_company(f"株式会社同時{tag}")
    requester = make_client(company, name=f"依頼 三葉{tag}")
    request = make_request(requester, title=f"問い合わせフォームの項目追加 {tag}")
    typed_memo = f"電話番号の項目も必須にするか確認中 {tag}"

    log_in(page, live_server.url, first.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    later = open_page()
    log_in(later, live_server.url, second.user_id)
    later.goto(f"{live_server.url}/requests/{request.request_id}")
    expect(heading(later, f"#1 {request.title}")).to_be_visible()

    # Both have the screen open; the first one saves.
    manage_panel(page).get_by_label("状態").select_option(label="対応中")
    manage_panel(page).get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_have_text("依頼を更新しました。")

    # The second one, from the screen opened before that save.
    panel = manage_panel(later)
    panel.get_by_label("担当者").select_option(label=second.name)
    panel.get_by_label("社内メモ").fill(typed_memo)
    panel.get_by_role("button", name="保存する").click()

    expect(later.get_by_role("alert")).to_contain_text(CONFLICT_MESSAGE)
    panel = manage_panel(later)
    expect(panel.get_by_label("社内メモ")).to_have_value(typed_memo)
    expect(panel.get_by_label("担当者")).to_have_value(second.user_id)
    # The screen now shows the first save, and nothing of the second was written.
    expect(detail(later, "状態")).to_have_text("対応中")
    expect(detail(later, "担当者")).to_have_text("未定")
    expect(thread(later).get_by_role("listitem").filter(has_text=typed_memo)).to_have_count(0)

    # Saving again, now on the latest version, goes through.
    panel.get_by_role("button", name="保存する").click()
    expect(later.get_by_role("status")).to_have_text("依頼を更新しました。")
    expect(detail(later, "担当者")).to_have_text(second.name)
    expect(thread(later).get_by_role("listitem").filter(has_text=typed_memo)).to_have_count(1)


def test_dashboard_marks_what_the_agency_answered_until_the_client_opens_it(page, live_server, make_user):
    from chalicelib.models.requests import Request
    from chalicelib.services.requests import RequestChanges, add_comment, update_request

    tag = token()
    staff = make_user(role=AGENCY_STAFF, name=f"担当 四季{tag}")
    company = make_company(f"株式会社更新{tag}")
    requester = make_client(company, role=CLIENT_ADMIN, name=f"依頼 五月{tag}")
    answered = make_request(requester, title=f"ブログ記事の公開 {tag}")
    quiet = make_request(requester, title=f"フッターのコピーライト更新 {tag}")

    log_in(page, live_server.url, requester.user_id)
    expect(listed(page, answered.title)).to_have_count(1)
    expect(listed(page, answered.title)).not_to_contain_text("更新あり")
    expect(listed(page, quiet.title)).not_to_contain_text("更新あり")

    add_comment(staff, answered.request_id, f"明日公開します。{tag}")
    page.reload()
    expect(listed(page, answered.title)).to_contain_text("更新あり")
    expect(listed(page, quiet.title)).not_to_contain_text("更新あり")

    listed(page, answered.title).get_by_role("link").click()
    expect(heading(page, f"#1 {answered.title}")).to_be_visible()
    expect(thread(page)).to_contain_text(f"明日公開します。{tag}")
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="管理画面").click()
    expect(heading(page, "管理画面")).to_be_visible()
    expect(listed(page, answered.title)).to_have_count(1)
    expect(listed(page, answered.title)).not_to_contain_text("更新あり")

    # A 社内メモ alone is not news for the client.
    current = Request.find(answered.request_id)
    update_request(staff, answered.request_id, RequestChanges(memo=f"公開は午前中に {tag}"),
                   revision=current.revision)
    page.reload()
    expect(listed(page, answered.title)).not_to_contain_text("更新あり")
