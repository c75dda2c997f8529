"""添付ファイル: presigned uploads straight to S3, confirmation, downloads, isolation."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests as http

from chalicelib.adapters import config
from chalicelib.models.attachments import Upload
from chalicelib.models.users import CLIENT_ADMIN
from chalicelib.services import attachments, listings, requests
from chalicelib.errors import Invalid, NotFound
from tests.support.agent import Agent
from tests.support.factories import PASSWORD, PNG, make_client, make_company, make_request, upload
from tests.support.waits import HTTP_TIMEOUT_S



@pytest.fixture
def asker(aws):
    return make_client(make_company("添付の会社"), role=CLIENT_ADMIN)


def test_the_post_policy_binds_key_type_size_and_expires_within_minutes(asker):
    """Threat: a slot reused to upload another file, bigger, of another type, or elsewhere.
    moto does not enforce POST policies, so the policy the app signs is decoded and checked."""
    before = datetime.now(timezone.utc)
    slot = attachments.start_upload(asker, name="見積書.pdf", size=1234, content_type="application/pdf")
    policy = json.loads(base64.b64decode(slot.fields["policy"]))
    upload_record = Upload.find(slot.upload_id)
    conditions = policy["conditions"]
    assert {"key": upload_record.key} in conditions
    assert {"bucket": config.attachments_bucket()} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1234, 1234] in conditions
    assert slot.fields["key"] == upload_record.key and slot.fields["Content-Type"] == "application/pdf"
    assert upload_record.key.startswith(f"uploads/pending/{asker.company_id}/new/")
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expires - before).total_seconds() <= config.upload_url_seconds() + 5 <= 600


def test_a_comment_slot_names_the_tenant_and_the_request_in_its_key(asker):
    created = make_request(asker)
    slot = attachments.start_upload(asker, name="a.txt", size=3, content_type="text/plain", request_id=created.request_id)
    assert Upload.find(slot.upload_id).key.startswith(f"uploads/pending/{asker.company_id}/{created.request_id}/")


@pytest.mark.parametrize("size,message", [(0, "空のファイル"), (51 * 1024 * 1024, "大きすぎます")])
def test_sizes_are_checked_before_any_upload(asker, size, message):
    with pytest.raises(Invalid) as refused:
        attachments.start_upload(asker, name="x.bin", size=size, content_type="application/octet-stream")
    assert message in refused.value.errors["size"]


def test_files_are_attached_when_the_request_is_filed_and_japanese_names_survive(client, asker):
    data = "修正箇所のメモ\n".encode("utf-8") * 100
    upload_id = upload(asker, "修正指示書 v2.txt", data, "text/plain")
    image_id = upload(asker, "スクリーンショット.png", PNG, "image/png")
    created = make_request(asker, upload_ids=[upload_id, image_id])
    view = listings.view_request(asker, created.request_id)
    names = sorted(f.name for f in view.files)
    assert names == ["スクリーンショット.png", "修正指示書 v2.txt"]
    text_file = next(f for f in view.files if f.name.endswith(".txt"))
    assert text_file.key == f"attachments/{asker.company_id}/{created.request_id}/{text_file.attachment_id}"
    assert Upload.find(upload_id) is None  # the slot is used up

    web = Agent(client)
    web.login(asker.user_id, PASSWORD)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    assert "修正指示書 v2.txt" in page and "text/plain" in page
    assert f"/files/{text_file.attachment_id}/preview" not in page  # only images are shown inline
    redirect = web.get(f"/requests/{created.request_id}/files/{text_file.attachment_id}")
    assert redirect.status_code == 303
    location = redirect.headers["location"]
    query = parse_qs(urlsplit(location).query)
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "修正指示書 v2.txt"
    assert int(query["X-Amz-Expires"][0]) <= 300
    downloaded = http.get(location, timeout=HTTP_TIMEOUT_S)
    assert downloaded.content == data  # the same bytes come back
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")


def test_images_get_an_inline_preview_and_nothing_else_does(client, asker):
    image_id = upload(asker, "logo.png", PNG, "image/png")
    svg_id = upload(asker, "icon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    created = make_request(asker, upload_ids=[image_id, svg_id])
    files = {f.name: f for f in listings.view_request(asker, created.request_id).files}
    web = Agent(client)
    web.login(asker.user_id, PASSWORD)
    preview = web.get(f"/requests/{created.request_id}/files/{files['logo.png'].attachment_id}/preview")
    assert preview.status_code == 303
    assert parse_qs(urlsplit(preview.headers["location"]).query)["response-content-disposition"][0].startswith("inline;")
    assert http.get(preview.headers["location"], timeout=HTTP_TIMEOUT_S).content == PNG
    svg = web.get(f"/requests/{created.request_id}/files/{files['icon.svg'].attachment_id}/preview")
    assert svg.status_code == 404  # SVG can carry script: never rendered in the site's origin
    download = web.get(f"/requests/{created.request_id}/files/{files['icon.svg'].attachment_id}")
    assert parse_qs(urlsplit(download.headers["location"]).query)["response-content-type"][0] == "application/octet-stream"


def test_a_file_never_uploaded_or_of_another_size_is_refused_and_nothing_is_filed(asker):
    slot = attachments.start_upload(asker, name="missing.pdf", size=10, content_type="application/pdf")
    with pytest.raises(Invalid) as refused:
        make_request(asker, upload_ids=[slot.upload_id])
    assert "アップロードが終わっていない" in refused.value.errors["attachments"]
    liar = attachments.start_upload(asker, name="short.txt", size=10, content_type="text/plain")
    http.post(liar.url, data=liar.fields, files={"file": ("short.txt", b"12345", "text/plain")}, timeout=HTTP_TIMEOUT_S)
    with pytest.raises(Invalid):  # moto accepted 5 bytes where 10 were announced; the app does not
        make_request(asker, upload_ids=[liar.upload_id])
    assert sum(len(g) for _, g in listings.client_dashboard(asker)) == 0


def test_someone_elses_upload_cannot_be_attached(asker):
    """Threat: attaching another person's (or company's) pending upload by guessing its ID."""
    other = make_client(make_company("よその会社"))
    upload_id = upload(other, "secret.txt", b"secret", "text/plain")
    with pytest.raises(Invalid) as refused:
        make_request(asker, upload_ids=[upload_id])
    assert "古くなっています" in refused.value.errors["attachments"]


def test_comments_carry_their_own_files(asker):
    created = make_request(asker)
    upload_id = upload(asker, "差し替え画像.png", PNG, "image/png", request_id=created.request_id)
    entry = requests.add_comment(asker, created.request_id, "", upload_ids=[upload_id])  # files only: no text needed
    view = listings.view_request(asker, created.request_id)
    assert [f.name for f in view.files_by_entry[entry.entry_id]] == ["差し替え画像.png"]
    assert view.files == []


def test_another_company_gets_404_for_the_download_route(client, asker):
    """Threat: downloading another company's file by its URL."""
    upload_id = upload(asker, "契約書.pdf", b"%PDF-1.4 secret", "application/pdf")
    created = make_request(asker, upload_ids=[upload_id])
    file = listings.view_request(asker, created.request_id).files[0]
    outsider = make_client(make_company("覗き見の会社"))
    with pytest.raises(NotFound):
        attachments.download_url(outsider, created.request_id, file.attachment_id)
    web = Agent(client)
    web.login(outsider.user_id, PASSWORD)
    for suffix in ("", "/preview"):
        real = web.get(f"/requests/{created.request_id}/files/{file.attachment_id}{suffix}")
        fake = web.get(f"/requests/{created.request_id}/files/{'0' * 26}{suffix}")
        assert real.status_code == fake.status_code == 404
    with pytest.raises(NotFound):
        attachments.start_upload(outsider, name="x.txt", size=1, content_type="text/plain", request_id=created.request_id)


def test_upload_slots_through_the_api(client, asker):
    web = Agent(client)
    web.login(asker.user_id, PASSWORD)
    response = web.api("POST", "/api/uploads", {"name": "資料.xlsx", "size": 2048,
                                                "content_type": "application/vnd.ms-excel"})
    body = json.loads(response.body)
    assert response.status_code == 201 and body["max_bytes"] == 50 * 1024 * 1024
    assert set(body) == {"upload_id", "url", "fields", "max_bytes"}
    too_big = web.api("POST", "/api/uploads", {"name": "動画.mp4", "size": 60 * 1024 * 1024, "content_type": "video/mp4"})
    assert too_big.status_code == 400 and "50MB" in json.loads(too_big.body)["errors"]["size"]


def test_the_content_security_policy_lets_the_browser_reach_the_bucket_and_nothing_else(web):
    csp = web.get("/login").headers["content-security-policy"]
    connect = next(part for part in csp.split("; ") if part.startswith("connect-src"))
    import os
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    assert connect == f"connect-src 'self' {endpoint}"


def test_the_emulated_bucket_answers_cors_as_its_rules_say(aws):
    """The browser uploads from the site's origin; any other origin gets no CORS grant."""
    import os

    import boto3
    rules = boto3.client("s3").get_bucket_cors(Bucket=aws.bucket)["CORSRules"]
    site = rules[0]["AllowedOrigins"][0]  # the site origin the bucket was provisioned for
    url = f"{os.environ['AWS_ENDPOINT_URL']}/{aws.bucket}"
    allowed = http.options(url, headers={"Origin": site, "Access-Control-Request-Method": "POST"}, timeout=HTTP_TIMEOUT_S)
    assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == site
    refused = http.options(url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
                           timeout=HTTP_TIMEOUT_S)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    plain = http.get(url, headers={"Origin": "https://evil.example"}, timeout=HTTP_TIMEOUT_S)
    assert "Access-Control-Allow-Origin" not in plain.headers


def test_a_screen_memo_keeps_its_notes_and_drawing_with_the_image(asker):
    drawing = json.dumps({"pins": [{"x": 10, "y": 20, "note": "ここを赤に"}], "shapes": []})
    slot = attachments.start_upload(asker, name="画面メモ.png", size=len(PNG), content_type="image/png", kind="memo",
                                    notes=["ここを赤に", "ロゴを 大きく"], annotations=drawing)
    http.post(slot.url, data=slot.fields, files={"file": ("画面メモ.png", PNG, "image/png")}, timeout=HTTP_TIMEOUT_S)
    created = make_request(asker, upload_ids=[slot.upload_id])
    memo = listings.view_request(asker, created.request_id).files[0]
    assert memo.attachment_kind == "memo" and memo.notes == ["ここを赤に", "ロゴを 大きく"]
    assert json.loads(memo.annotations)["pins"][0]["note"] == "ここを赤に"
    with pytest.raises(Invalid):  # a memo is a flattened PNG, nothing else
        attachments.start_upload(asker, name="memo.svg", size=10, content_type="image/svg+xml", kind="memo")
