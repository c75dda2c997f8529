"""When DynamoDB fails under a client filing a request: the page says so, keeps what was typed,
and sending again files the request once (faults injected at the emulator's HTTP level)."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from localdev.emulator import FAULTS
from tests.support.browser import log_in
from tests.support.factories import make_client, make_company

pytestmark = pytest.mark.usefixtures("no_faults")


def test_a_request_typed_during_an_outage_is_kept_and_filed_once(page, live_server):
    tag = uuid.uuid4().hex[:6]
    member = make_client(make_company(f"株式会社障害{tag}"))
    title = f"障害中に書いた依頼 {tag}"
    log_in(page, live_server.url, member.user_id)
    page.get_by_role("link", name="新規依頼").click()
    page.get_by_label("件名").fill(title)
    page.get_by_label("依頼内容").fill("お知らせ欄の文言を差し替えてください。")

    FAULTS.fail("dynamodb", "TransactWriteItems", "InternalServerError", status=500)
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page.get_by_role("alert")).to_contain_text("ただいま処理できませんでした")
    expect(page.get_by_label("件名")).to_have_value(title)
    expect(page.get_by_label("依頼内容")).to_have_value("お知らせ欄の文言を差し替えてください。")

    FAULTS.clear()
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page.get_by_role("status")).to_have_text("依頼を登録しました。お返事まで少々お待ちください。")
    expect(page.get_by_role("heading", level=1, name=re.compile(re.escape(title)))).to_be_visible()
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="管理画面").click()
    expect(page.get_by_role("link", name=re.compile(re.escape(title)))).to_have_count(1)


def test_inline_comments_are_each_stored_once_through_an_outage(page, live_server):
    """The red + form sends each comment with its own one-time key: two comments in a row are
    two comments, and one refused during an outage stays in the box and is stored once after."""
    from tests.support.factories import make_request

    tag = uuid.uuid4().hex[:6]
    member = make_client(make_company(f"株式会社障害コメント{tag}"))
    request = make_request(member, title=f"コメントの件 {tag}")
    log_in(page, live_server.url, member.user_id)  # signed in before the next page is asked for
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    thread = page.get_by_role("region", name="やりとり")

    def comment(text: str) -> None:
        page.get_by_role("link", name="コメントを追加").click()
        page.get_by_label("コメント", exact=True).fill(text)
        page.get_by_role("button", name="コメント追加").click()

    comment(f"一件目 {tag}")
    expect(thread.get_by_role("listitem").filter(has_text=f"一件目 {tag}")).to_have_count(1)
    comment(f"二件目 {tag}")
    expect(thread.get_by_role("listitem").filter(has_text=f"二件目 {tag}")).to_have_count(1)

    FAULTS.fail("dynamodb", "TransactWriteItems", "InternalServerError", status=500)
    comment(f"障害中 {tag}")
    expect(page.get_by_role("alert")).to_contain_text("ただいま処理できませんでした")
    expect(page.get_by_label("コメント", exact=True)).to_have_value(f"障害中 {tag}")
    FAULTS.clear()
    page.get_by_role("button", name="コメント追加").click()
    expect(thread.get_by_role("listitem").filter(has_text=f"障害中 {tag}")).to_have_count(1)

    page.reload()
    for text in (f"一件目 {tag}", f"二件目 {tag}", f"障害中 {tag}"):
        expect(thread.get_by_role("listitem").filter(has_text=text)).to_have_count(1)
