"""添付ファイル in a real browser: files go from the browser straight to S3 with a progress bar,
come back byte for byte, show as thumbnails when they are images, and stay out of reach of
another company. Found by visible labels; waits are Playwright's `expect`, never sleeps."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import CLIENT_ADMIN
from tests.support.browser import log_in
from tests.support.factories import PNG, make_client, make_company

pytestmark = pytest.mark.browser

REQUEST_URL = re.compile(r"/requests/[0-9A-Z]{26}")


def file_new_request_with_files(page: Page, base_url: str, files: list[dict]) -> None:
    page.get_by_role("link", name="新規依頼").click()
    page.get_by_label("件名").fill(f"添付のテスト {uuid.uuid4().hex[:6]}")
    page.get_by_label("依頼内容").fill("ファイルを添付します。")
    page.get_by_label("添付ファイル").set_input_files(files)
    uploads = page.get_by_role("list", name="添付するファイル")
    for file in files:
        row = uploads.get_by_role("listitem").filter(has_text=file["name"])
        expect(row.get_by_role("status")).to_have_text("アップロード完了")
        expect(row.locator("progress")).to_have_attribute("value", "100")
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page).to_have_url(REQUEST_URL)


def test_files_upload_with_progress_and_download_as_the_same_bytes(page: Page, live_server):
    asker = make_client(make_company(f"添付社 {uuid.uuid4().hex[:6]}"), role=CLIENT_ADMIN)
    text = "修正箇所: トップページの見出し\n".encode("utf-8") * 200
    log_in(page, live_server.url, asker.user_id)
    file_new_request_with_files(page, live_server.url, [
        {"name": "修正指示書.txt", "mimeType": "text/plain", "buffer": text},
        {"name": "スクリーンショット.png", "mimeType": "image/png", "buffer": PNG},
    ])
    body = page.get_by_role("region", name="依頼内容")
    expect(body.get_by_role("link", name="修正指示書.txt")).to_be_visible()
    expect(body.get_by_role("img", name="スクリーンショット.png")).to_be_visible()  # thumbnail of the image
    with page.expect_download() as download_info:
        body.get_by_role("link", name="修正指示書.txt").click()
    download = download_info.value
    assert download.suggested_filename == "修正指示書.txt"
    with open(download.path(), "rb") as saved:
        assert saved.read() == text


def test_a_file_over_the_limit_is_refused_before_uploading(page: Page, live_server, monkeypatch):
    monkeypatch.setenv("IRAI_UPLOAD_MAX_MB", "1")  # the live server reads its settings per request
    asker = make_client(make_company(f"上限社 {uuid.uuid4().hex[:6]}"), role=CLIENT_ADMIN)
    log_in(page, live_server.url, asker.user_id)
    page.get_by_role("link", name="新規依頼").click()
    expect(page.get_by_text("1ファイル1MBまで").first).to_be_visible()
    slots = []
    page.on("request", lambda request: slots.append(request.url) if request.url.endswith("/api/uploads") else None)
    page.get_by_label("添付ファイル").set_input_files(
        [{"name": "大きな動画.mp4", "mimeType": "video/mp4", "buffer": b"\0" * (1024 * 1024 + 1)}])
    row = page.get_by_role("list", name="添付するファイル").get_by_role("listitem").filter(has_text="大きな動画.mp4")
    expect(row.get_by_role("status")).to_contain_text("大きすぎるため添付できません")
    assert slots == []  # refused in the browser: no slot asked for, nothing sent


def test_another_company_gets_not_found_for_the_file(page: Page, open_page, live_server):
    asker = make_client(make_company(f"持ち主社 {uuid.uuid4().hex[:6]}"), role=CLIENT_ADMIN)
    log_in(page, live_server.url, asker.user_id)
    file_new_request_with_files(page, live_server.url, [{"name": "社外秘.txt", "mimeType": "text/plain",
                                                         "buffer": b"confidential"}])
    link = page.get_by_role("region", name="依頼内容").get_by_role("link", name="社外秘.txt")
    href = live_server.url + link.get_attribute("href")
    outsider = make_client(make_company(f"よその社 {uuid.uuid4().hex[:6]}"), role=CLIENT_ADMIN)
    other = open_page()
    log_in(other, live_server.url, outsider.user_id)
    response = other.goto(href)
    assert response.status == 404
    expect(other.get_by_role("heading", name="ページが見つかりません")).to_be_visible()
