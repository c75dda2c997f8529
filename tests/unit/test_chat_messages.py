"""What each chat service is sent, the Standard Webhooks signature (checked by its reference
library, as a receiver would), and which URLs and addresses a post may go to."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib.adapters import webhooks
from chalicelib.models.chat import ChatDestination
from chalicelib.services import chat

AT = datetime(2026, 12, 2, 3, 4, 5, tzinfo=timezone.utc)
MESSAGE = chat.Message(event="comment_client", title="【クライアントのコメント】株式会社ミナト #12 <b>見出し</b>",
                       text="山田様がコメントしました。\n[To:1] 「営業時間」を <直して> & 確認", url="https://irai.example.jp/requests/X",
                       link_label="依頼を開く", data={"summary": "山田様がコメントしました。"})


def destination(service: str, **values) -> ChatDestination:
    return ChatDestination(*ChatDestination.keys("AGENCY", "D1"), destination_id="D1", owner="AGENCY", name="n",
                           service=service, created_at=AT, **values)


def test_teams_gets_an_adaptive_card_with_the_link():
    url, body, headers = chat.request_for(destination("teams", url="https://x.example/hook"), MESSAGE,
                                          message_id="m1", at=AT)
    sent = json.loads(body)
    assert url == "https://x.example/hook" and headers["Content-Type"].startswith("application/json")
    attachment, = sent["attachments"]
    assert sent["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == MESSAGE.title
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "依頼を開く", "url": MESSAGE.url}]


def test_slack_gets_block_kit_with_what_people_typed_escaped():
    _, body, _ = chat.request_for(destination("slack", url="https://x.example/hook"), MESSAGE, message_id="m", at=AT)
    sent = json.loads(body)
    assert sent["text"] == MESSAGE.title
    header, section, actions = sent["blocks"]
    assert header["text"]["type"] == "plain_text"
    assert "&lt;直して&gt; &amp; 確認" in section["text"]["text"] and "<直して>" not in section["text"]["text"]
    assert actions["elements"][0]["url"] == MESSAGE.url


def test_google_chat_gets_a_card_with_an_open_link_button():
    _, body, _ = chat.request_for(destination("google_chat", url="https://x.example/hook"), MESSAGE, message_id="m",
                                  at=AT)
    card = json.loads(body)["cardsV2"][0]["card"]
    paragraph, buttons = card["sections"][0]["widgets"]
    assert card["header"]["title"] == MESSAGE.title
    assert "&lt;直して&gt;" in paragraph["textParagraph"]["text"]
    assert buttons["buttonList"]["buttons"][0]["onClick"]["openLink"]["url"] == MESSAGE.url


def test_chatwork_gets_the_room_message_with_the_token_header_and_typed_tags_defused():
    url, body, headers = chat.request_for(destination("chatwork", token="abc123", room_id="4567"), MESSAGE,
                                          message_id="m", at=AT)
    assert url.endswith("/rooms/4567/messages") and headers["X-ChatWorkToken"] == "abc123"
    text = parse_qs(body.decode())["body"][0]
    assert text.startswith("[info][title]") and text.endswith("[/info]")
    assert "[To:1]" not in text and "［To:1］" in text  # a typed mention does not ping anyone
    assert MESSAGE.url in text


def test_a_generic_webhook_is_signed_as_standard_webhooks_says():
    secret = chat.new_secret()
    url, body, headers = chat.request_for(destination("webhook", url="https://x.example/in", secret=secret),
                                          MESSAGE, message_id="msg_1", at=AT)
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(int(AT.timestamp()))
    # The library refuses a timestamp more than five minutes from now, as receivers should: sign now.
    now = datetime.now(timezone.utc)
    _, body, headers = chat.request_for(destination("webhook", url="https://x.example/in", secret=secret),
                                        MESSAGE, message_id="msg_1", at=now)
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "request.comment_client" and payload["id"] == "msg_1"
    assert payload["data"] == MESSAGE.data


def test_a_changed_body_or_another_secret_fails_verification():
    secret, now = chat.new_secret(), datetime.now(timezone.utc)
    _, body, headers = chat.request_for(destination("webhook", url="https://x.example/in", secret=secret), MESSAGE,
                                        message_id="msg_2", at=now)
    with pytest.raises(Exception):
        Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(Exception):
        Webhook(chat.new_secret()).verify(body, headers)


@pytest.mark.parametrize("address", ["10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                                     "0.0.0.0", "fd00::1", "fe80::1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
                                     "224.0.0.1", "::"])
def test_private_link_local_and_metadata_addresses_are_never_posted_to(address, monkeypatch):
    monkeypatch.setenv("IRAI_LOCAL_MODE", "1")
    assert not webhooks.allowed_address(address)


def test_loopback_is_allowed_in_local_mode_only(monkeypatch):
    monkeypatch.setenv("IRAI_LOCAL_MODE", "1")
    assert webhooks.allowed_address("127.0.0.1") and webhooks.allowed_address("::1")
    monkeypatch.setenv("IRAI_LOCAL_MODE", "0")
    assert not webhooks.allowed_address("127.0.0.1") and not webhooks.allowed_address("::ffff:127.0.0.1")
    assert webhooks.allowed_address("8.8.8.8") and webhooks.allowed_address("2001:4860:4860::8888")


@pytest.mark.parametrize("url,reason", [
    ("http://hooks.example.com/x", "https_only"), ("ftp://hooks.example.com/x", "https_only"),
    ("file:///etc/passwd", "https_only"), ("https://user:pw@hooks.example.com/", "malformed"),
    ("https:///nohost", "malformed"), ("https://[::1/", "malformed"), ("https://a.example:99999/", "malformed"),
    ("javascript:alert(1)", "https_only"),
    ("https://hooks.example.com/a b", "malformed"), ("https://hooks.example.com/a\u2028b", "malformed"),
    ("https://hooks.example.com/a\nb", "malformed"), ("https://ｈｏｏｋｓ.example.com/", "malformed"),
    ("https://hooks.example.com/\x00", "malformed"), ("https://hooks.example.com/\u200b", "malformed"),
])
def test_urls_of_the_wrong_form_are_refused_in_aws(url, reason, monkeypatch):
    monkeypatch.setenv("IRAI_LOCAL_MODE", "0")
    with pytest.raises(webhooks.Refused) as refused:
        webhooks.check_url(url)
    assert refused.value.reason == reason


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(monkeypatch):
    monkeypatch.setenv("IRAI_LOCAL_MODE", "0")
    # "localhost" resolves to loopback on every machine: refused outside local mode, before connecting.
    with pytest.raises(webhooks.Refused) as refused:
        webhooks.post("https://localhost/hook", b"{}", {})
    assert refused.value.reason == "private_address"
    with pytest.raises(webhooks.Refused):
        webhooks.post("https://169.254.169.254/latest/meta-data/", b"{}", {})


def test_the_settings_page_shows_a_url_only_in_part():
    shown = webhooks.masked("https://hooks.slack.com/services/T000/B000/XXXXsecretXXXXabcd")
    assert shown == "https://hooks.slack.com/…abcd" and "secret" not in shown


def test_a_status_change_to_done_counts_as_completed_too():
    from chalicelib.models.notifications import MailEvent
    e = MailEvent(event="status", new_value="完了", actor_side="agency")
    assert chat.event_kinds(e) == {chat.STATUS, chat.COMPLETED}
    assert chat.event_kinds(MailEvent(event="assigned")) == set()
