"""A refused form keeps its 添付ファイル and 画面メモ (issue 16, item 1), in a real browser.

The person uploads a file and draws a 画面メモ, sends the form with something the server refuses
(markup in 依頼内容, a past 公開希望日, markup in a コメント), reads the field's error, still sees the
file and the memo listed with 外す, corrects the field, sends again, and finds both on the request.
Found by visible labels; waits are Playwright's `expect`, never sleeps.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.clock import today_in_japan
from chalicelib.messages import t
from localdev.emulator import FAULTS
from tests.browser.test_memo import choose_screenshot, save_memo
from tests.support.browser import REQUEST_URL, log_in, token
from tests.support.factories import PNG, make_client, make_company, make_request, upload

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-keep")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TEXT_FILE = "タグ入りの原稿.txt"
MEMO_FILE = "画面メモ1.png"


def shoot(page: Page, name: str) -> None:
    """The page as it is, at desktop and phone widths, for a person to look at."""
    SHOTS.mkdir(exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def uploads(page: Page):
    return page.get_by_role("list", name="添付するファイル").first


def attach_file_and_memo(page: Page, note: str) -> None:
    """A text file through 添付ファイル, then a 画面メモ with one pin and its note."""
    page.get_by_label("添付ファイル").first.set_input_files(
        [{"name": TEXT_FILE, "mimeType": "text/plain", "buffer": "<h1>見出し</h1>".encode()}])
    expect(uploads(page).get_by_role("listitem").filter(has_text=TEXT_FILE)).to_contain_text("アップロード完了")
    editor = choose_screenshot(page)
    editor.get_by_role("application", name=re.compile("描き込み欄")).press("Enter")  # a pin in the middle
    editor.get_by_label("ピン1", exact=True).fill(note)
    save_memo(page, editor)
    expect(uploads(page).get_by_role("listitem").filter(has_text="画面メモ 1")).to_contain_text("アップロード完了")


def expect_kept(page: Page, names: list[str]) -> None:
    """Each file listed by name with its 外す button, and nothing else."""
    rows = uploads(page).get_by_role("listitem")
    expect(rows).to_have_count(len(names))
    for name in names:
        expect(uploads(page).get_by_role("button", name=f"外す: {name}")).to_be_visible()


def expect_files(region, names: list[str]) -> None:
    for name in names:  # the name's own link (an image's thumbnail links there too, by its alt)
        expect(region.get_by_role("link", name=name).filter(has_text=name)).to_be_visible()


def new_request_page(page: Page, base_url: str, tag: str):
    requester = make_client(make_company(f"株式会社添付保持{tag}"), role="client_admin")
    log_in(page, base_url, requester.user_id)
    page.get_by_role("link", name="新規依頼").click()
    expect(page.get_by_role("heading", level=1, name="新規依頼の登録")).to_be_visible()
    return requester


def test_markup_in_the_body_keeps_the_file_and_the_memo_and_the_next_submit_files_them(page: Page, live_server):
    tag = token()
    new_request_page(page, live_server.url, tag)
    note = f"ここの見出しを変更 {tag}"
    attach_file_and_memo(page, note)
    page.get_by_label("件名").fill(f"見出しの変更 {tag}")
    page.get_by_label("依頼内容").fill("<h1>見出し</h1> にしてください")
    page.get_by_role("button", name="依頼を登録する").click()

    body = page.get_by_label("依頼内容")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#body-error")).to_have_text(t("request.markup"))
    expect_kept(page, [TEXT_FILE, MEMO_FILE])
    expect(uploads(page)).to_contain_text("ピン1個")
    shoot(page, "new-request-refused-markup")

    body.fill("添付の原稿のとおり見出しにしてください")
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page).to_have_url(REQUEST_URL)
    region = page.get_by_role("region", name="依頼内容")
    expect_files(region, [TEXT_FILE, MEMO_FILE])
    expect(region.get_by_role("list", name="画面メモのメモ").get_by_role("listitem")).to_have_text([note])


def test_a_past_due_date_keeps_the_uploads_one_can_be_taken_off_and_a_new_memo_gets_the_next_number(
        page: Page, live_server):
    tag = token()
    new_request_page(page, live_server.url, tag)
    attach_file_and_memo(page, f"一つ目のメモ {tag}")
    page.get_by_label("件名").fill(f"日付の確認 {tag}")
    page.get_by_label("依頼内容").fill("来週公開してください")
    page.get_by_label("公開希望日").fill((today_in_japan() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="依頼を登録する").click()

    expect(page.get_by_label("公開希望日")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#due_date-error")).to_have_text(t("request.due_past"))
    expect_kept(page, [TEXT_FILE, MEMO_FILE])
    uploads(page).get_by_role("button", name=f"外す: {TEXT_FILE}").click()
    expect_kept(page, [MEMO_FILE])

    editor = choose_screenshot(page)  # a second memo after the refusal is 画面メモ 2, not a second 1
    editor.get_by_role("application", name=re.compile("描き込み欄")).press("Enter")
    editor.get_by_label("ピン1", exact=True).fill(f"二つ目のメモ {tag}")
    save_memo(page, editor)
    expect(uploads(page).get_by_role("listitem").filter(has_text="画面メモ 2")).to_contain_text("アップロード完了")

    page.get_by_label("公開希望日").fill("")
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page).to_have_url(REQUEST_URL)
    region = page.get_by_role("region", name="依頼内容")
    expect_files(region, [MEMO_FILE, "画面メモ2.png"])
    expect(region.get_by_role("link", name=TEXT_FILE)).to_have_count(0)


def _entry(page: Page, tag: str):
    return page.get_by_role("region", name="やりとり").get_by_role("listitem").filter(has_text=tag).first


def test_the_comment_form_on_the_request_page_keeps_its_uploads_after_a_refusal(page: Page, live_server):
    tag = token()
    requester = make_client(make_company(f"株式会社コメント保持{tag}"), role="client_admin")
    request = make_request(requester, title=f"コメントの添付 {tag}")
    log_in(page, live_server.url, requester.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    page.get_by_role("link", name="コメントを追加").click()
    note = f"ボタンの色 {tag}"
    attach_file_and_memo(page, note)
    box = page.get_by_label("コメント", exact=True)
    box.fill("<b>太字</b>にしてください")
    page.get_by_role("button", name="コメント追加").click()

    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="HTMLタグ")).to_be_visible()
    expect(uploads(page).get_by_role("listitem")).to_have_count(2)
    expect(uploads(page).get_by_role("button", name=f"外す: {TEXT_FILE}")).to_be_visible()
    expect(uploads(page).get_by_role("button", name="外す: 画面メモ 1")).to_be_visible()

    box.fill(f"添付の原稿のとおり太字にしてください {tag}")
    page.get_by_role("button", name="コメント追加").click()
    entry = _entry(page, tag)
    expect_files(entry, [TEXT_FILE, MEMO_FILE])
    expect(entry.get_by_role("list", name="画面メモのメモ").get_by_role("listitem")).to_have_text([note])


def test_the_comment_page_keeps_its_uploads_after_a_refusal(page: Page, live_server):
    tag = token()
    requester = make_client(make_company(f"株式会社コメント画面{tag}"), role="client_admin")
    request = make_request(requester, title=f"コメント画面の添付 {tag}")
    log_in(page, live_server.url, requester.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}/comment")
    expect(page.get_by_role("heading", level=1, name="コメント入力")).to_be_visible()
    note = f"余白を詰める {tag}"
    attach_file_and_memo(page, note)
    page.get_by_label("コメント", exact=True).fill("<script>alert(1)</script>")
    page.get_by_role("button", name="コメント追加").click()

    expect(page.get_by_label("コメント", exact=True)).to_have_attribute("aria-invalid", "true")
    expect_kept(page, [TEXT_FILE, MEMO_FILE])
    shoot(page, "comment-page-refused-markup")

    page.get_by_label("コメント", exact=True).fill(f"原稿を添付しました {tag}")
    page.get_by_role("button", name="コメント追加").click()
    expect(page).to_have_url(REQUEST_URL)
    entry = _entry(page, tag)
    expect_files(entry, [TEXT_FILE, MEMO_FILE])
    expect(entry.get_by_role("list", name="画面メモのメモ").get_by_role("listitem")).to_have_text([note])


def test_without_javascript_the_kept_files_are_boxes_that_send_them_or_take_them_off(open_page, live_server):
    """No script runs on this page, so the uploads (which need JavaScript) were made earlier, as the
    browser would have; the first POST carries their ids as the page's script would have added them.
    From then on the server's page alone keeps them: a ticked box per file, untick to take it off."""
    tag = token()
    page = open_page(java_script_enabled=False)
    requester = new_request_page(page, live_server.url, tag)
    ids = [upload(requester, TEXT_FILE, b"<p>x</p>", "text/plain"),
           upload(requester, MEMO_FILE, PNG, "image/png", kind="memo", notes=[f"メモ {tag}"])]

    def with_uploads(route):
        extra = "&".join(f"upload_ids={i}" for i in ids)
        route.continue_(post_data=f"{route.request.post_data}&{extra}")
        page.unroute("**/requests", with_uploads)  # only the first send: the rest is the page's own

    page.route("**/requests", with_uploads)
    page.get_by_label("件名").fill(f"スクリプトなし {tag}")
    page.get_by_label("依頼内容").fill("<i>斜体</i>")
    page.get_by_role("button", name="依頼を登録する").click()

    expect(page.get_by_label("依頼内容")).to_have_attribute("aria-invalid", "true")
    kept = uploads(page)
    expect(kept.get_by_role("checkbox", name=f"添付する: {TEXT_FILE}")).to_be_checked()
    expect(kept.get_by_role("checkbox", name=f"添付する: {MEMO_FILE}")).to_be_checked()
    shoot(page, "new-request-refused-no-javascript")
    kept.get_by_role("checkbox", name=f"添付する: {TEXT_FILE}").uncheck()
    page.get_by_label("依頼内容").fill("斜体にしてください")
    page.get_by_role("button", name="依頼を登録する").click()

    expect(page).to_have_url(REQUEST_URL)
    region = page.get_by_role("region", name="依頼内容")
    expect_files(region, [MEMO_FILE])
    expect(region.get_by_role("link", name=TEXT_FILE)).to_have_count(0)


@pytest.mark.usefixtures("no_faults")
@pytest.mark.parametrize("fault,status,said", [
    ("TransactionConflictException", 400, t("request.busy")),   # cancelled past the app's retries: 409
    ("InternalServerError", 500, t("service.unavailable_form")),  # DynamoDB down: 503
], ids=["409", "503"])
def test_a_write_dynamodb_refuses_keeps_the_uploads_and_sending_again_files_them(page: Page, live_server, fault,
                                                                                   status, said):
    tag = token()
    new_request_page(page, live_server.url, tag)
    note = f"障害中のメモ {tag}"
    attach_file_and_memo(page, note)
    page.get_by_label("件名").fill(f"障害中の依頼 {tag}")
    page.get_by_label("依頼内容").fill("添付の原稿に差し替えてください")
    FAULTS.fail("dynamodb", "TransactWriteItems", fault, status=status)
    page.get_by_role("button", name="依頼を登録する").click()

    expect(page.get_by_role("alert").filter(has_text=said)).to_be_visible()
    expect(page.get_by_label("件名")).to_have_value(f"障害中の依頼 {tag}")
    expect_kept(page, [TEXT_FILE, MEMO_FILE])
    shoot(page, f"new-request-refused-{fault}")

    FAULTS.clear()
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page).to_have_url(REQUEST_URL)
    region = page.get_by_role("region", name="依頼内容")
    expect_files(region, [TEXT_FILE, MEMO_FILE])
    expect(region.get_by_role("list", name="画面メモのメモ").get_by_role("listitem")).to_have_text([note])
