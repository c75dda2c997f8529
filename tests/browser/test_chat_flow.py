"""Issue 20: チャット通知 clicked through in Chromium at 1280x800 and 390x844. The agency admin adds
a Slack destination for one company (a wrong URL first: named at its field, nothing typed lost),
テスト送信 shows the receiver's answer, a client's new request arrives once; a client admin adds its
company's own signed webhook and sees the secret once; the destination is removed after the dialog.

The services are a receiver on this machine (tests/support/receiver.py); local mode allows it."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook

from chalicelib.models.chat import ChatDestination
from chalicelib.models.users import CLIENT_ADMIN
from tests.support.browser import DESKTOP, heading, keep_screenshot, log_in
from tests.support.factories import make_client, make_company, make_request, make_user
from tests.support.receiver import Receiver

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _open(open_page, size: str) -> Page:
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    return open_page(viewport=VIEWPORTS[size], **extra)


def _cleanup(*names: str) -> None:
    for d in ChatDestination.all():
        if d.created_by in names:
            d.delete()


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_the_agency_admin_adds_tests_and_removes_a_channel(open_page, live_server, receiver, size):
    tag = uuid.uuid4().hex[:6]
    admin = make_user(name=f"管理 {tag}")
    company = make_company(f"株式会社チャット{tag}")
    client = make_client(company, name=f"依頼 {tag}")
    page = _open(open_page, size)
    try:
        log_in(page, live_server.url, admin.user_id)
        page.goto(f"{live_server.url}/settings")
        page.get_by_role("link", name=re.compile("チャット通知")).click()
        expect(heading(page, "チャット通知")).to_be_visible()
        page.get_by_label("名前").fill("Slack #web-依頼")
        page.get_by_label("種類").select_option(label="Slack(Incoming Webhook)")
        page.get_by_label("Webhook URL").fill("hooks.slack.com/services/T000/B000")   # no scheme
        page.get_by_label("対象の会社").select_option(label=company.name)
        page.get_by_role("button", name="追加する").click()
        expect(page.get_by_role("alert")).to_contain_text("「https://」で始まるもの")
        expect(page.get_by_label("Webhook URL")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("名前")).to_have_value("Slack #web-依頼")
        expect(page.get_by_label("対象の会社")).to_have_value(company.company_id)
        keep_screenshot(page, f"chat-{size}-refused")

        page.get_by_label("Webhook URL").fill(f"{receiver.url}/services/T000/B000/abcd")
        page.get_by_role("button", name="追加する").click()
        expect(heading(page, "Slack #web-依頼")).to_be_visible()
        expect(page.get_by_role("status").first).to_contain_text("通知先を追加しました")
        expect(page.get_by_role("main")).not_to_contain_text("/services/T000/B000/abcd")  # shown only in part
        page.get_by_role("button", name="テスト送信").click()
        expect(page.get_by_text("テスト送信が届きました: HTTP 200 ok")).to_be_visible()
        test_post, = receiver.posts
        assert json.loads(test_post.body)["text"].startswith("【テスト送信】")
        keep_screenshot(page, f"chat-{size}-tested")

        request = make_request(client, title=f"トップの文言 {tag}")
        created = json.loads(receiver.posts[-1].body)
        assert len(receiver.posts) == 2 and f"#{request.number} {request.title}" in created["text"]
        page.reload()
        log = page.get_by_role("region", name="送信の記録(新しい順)")
        expect(log).to_contain_text("新規依頼")
        expect(log).to_contain_text("送信済み")
        keep_screenshot(page, f"chat-{size}-log")

        page.get_by_role("button", name="この通知先を削除する").click()
        dialog = page.get_by_role("dialog", name="通知先「Slack #web-依頼」を削除しますか?")
        dialog.get_by_role("button", name="はい、削除する").click()
        expect(page.get_by_role("status")).to_contain_text("通知先を削除しました。")
        # Other tests' destinations may be listed (one shared table); this one is gone.
        expect(page.get_by_role("link", name="Slack #web-依頼")).to_have_count(0)
    finally:
        _cleanup(admin.name)


def test_a_client_admin_adds_its_company_webhook_and_sees_the_secret_once(open_page, live_server, receiver):
    tag = uuid.uuid4().hex[:6]
    company = make_company(f"株式会社フック{tag}")
    admin = make_client(company, role=CLIENT_ADMIN, name=f"管理 {tag}")
    page = _open(open_page, "phone")
    try:
        log_in(page, live_server.url, admin.user_id)
        page.get_by_role("link", name="アカウント管理").first.click()
        page.get_by_role("link", name="チャット通知").click()
        expect(heading(page, "チャット通知")).to_be_visible()
        expect(page.get_by_label("メール送信の失敗")).to_have_count(0)       # the agency's own event
        page.get_by_label("名前").fill("社内システム")
        page.get_by_label("種類").select_option(label="Webhook(署名付き・Standard Webhooks)")
        page.get_by_label("Webhook URL").fill(f"{receiver.url}/in")
        page.get_by_role("button", name="追加する").click()
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        keep_screenshot(page, "chat-phone-secret")
        page.get_by_role("button", name="テスト送信").click()
        expect(page.get_by_text("テスト送信が届きました")).to_be_visible()
        expect(page.get_by_role("main")).not_to_contain_text(secret)           # shown once only
        post, = receiver.posts
        assert Webhook(secret).verify(post.body, post.headers)["type"] == "irai.test"
    finally:
        _cleanup(admin.name)
