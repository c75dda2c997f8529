"""Chat notifications through the outbox, posted over HTTP to a receiver on this machine that
answers like the service would (tests/support/receiver.py): what each destination gets and does
not get, once only under concurrent senders, retries, failures shown, and the settings pages.

Local mode allows a loopback receiver (adapters/webhooks.py); the refusals of private addresses
outside it are pinned in tests/unit/test_chat_messages.py and at the end of this file."""
from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import timedelta
from urllib.parse import parse_qs

import jsonschema
import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib.adapters import webhooks
from chalicelib.clock import utcnow
from chalicelib.messages import t
from chalicelib.models.chat import ChatDelivery, ChatDestination
from chalicelib.models.notifications import FAILED, PENDING, SENT
from chalicelib.models.notifications import of_request as mail_of
from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import chat, notifications, requests, workflow
from chalicelib.web import openapi
from localdev.emulator import FAULTS
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user
from tests.support.receiver import Receiver, Reply

pytestmark = pytest.mark.usefixtures("no_faults")


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def world(aws):
    tag = uuid.uuid4().hex[:6]
    company, other = make_company(f"株式会社チャット{tag}"), make_company(f"他社チャット{tag}")
    people = {"admin": make_user(role=AGENCY_ADMIN, name="管理 一郎"),
              "staff": make_user(role=AGENCY_STAFF, name="担当 二郎"),
              "client": make_client(company, role=CLIENT_ADMIN, name="依頼 花子"),
              "colleague": make_client(company, name="同僚 三郎"),
              "outsider": make_client(other, role=CLIENT_ADMIN, name="他社 四郎")}
    yield {"company": company, "other": other, **people}
    # Destinations live in one partition the whole session shares: none may outlive its test.
    for d in ChatDestination.all():
        if d.owner in ("AGENCY", company.company_id, other.company_id) and d.created_by in (
                people["admin"].name, people["client"].name, people["outsider"].name):
            d.delete()


def add(actor, receiver, *, service="slack", events=(chat.CREATED, chat.COMMENT_CLIENT, chat.COMMENT_AGENCY,
                                                      chat.STATUS, chat.MAIL_FAILED), company=None, path="/hook"):
    form = chat.DestinationForm(name=f"{service} {uuid.uuid4().hex[:4]}", service=service,
                                url=f"{receiver.url}{path}", token="tok123", room_id="42",
                                company_id=company.company_id if company else "", events=tuple(events))
    return chat.create(actor, form)


def file(world, who="client", **overrides):
    return make_request(world[who], title=f"トップの文言 {uuid.uuid4().hex[:6]}", body="「営業時間」を直してください。",
                        **overrides)


def bodies(receiver) -> list[dict]:
    return [json.loads(post.body) for post in receiver.posts]


def test_a_new_request_and_comments_reach_the_agency_channel_of_that_company_once_each(world, receiver):
    add(world["admin"], receiver, company=world["company"])
    request = file(world)
    requests.add_comment(world["client"], request.request_id, "画像も差し替えたいです。")
    requests.add_comment(world["staff"], request.request_id, "承知しました。")
    sent = bodies(receiver)
    assert [b["text"].split("】")[0] for b in sent] == ["【新規依頼", "【クライアントのコメント", "【制作会社のコメント"]
    assert all(f"#{request.number} {request.title}" in b["text"] for b in sent)
    assert "「営業時間」を直してください。" in sent[0]["blocks"][1]["text"]["text"]
    assert sent[0]["blocks"][2]["elements"][0]["url"].endswith(f"/requests/{request.request_id}")
    file(world, who="outsider")  # another company: the destination is limited to the first
    assert len(receiver.posts) == 3


def test_each_service_gets_its_own_shape(world, monkeypatch):
    receivers = {service: Receiver() for service in chat.SERVICES}
    try:
        made = {service: add(world["admin"], r, service=service, company=world["company"])
                for service, r in receivers.items() if service != chat.CHATWORK}
        monkeypatch.setenv("IRAI_CHATWORK_API_URL", receivers[chat.CHATWORK].url)
        add(world["admin"], receivers[chat.CHATWORK], service=chat.CHATWORK, company=world["company"])
        request = file(world)
    finally:
        for r in receivers.values():
            r.close()
    teams, = bodies(receivers[chat.TEAMS])
    assert teams["attachments"][0]["content"]["type"] == "AdaptiveCard"
    google, = bodies(receivers[chat.GOOGLE_CHAT])
    assert google["cardsV2"][0]["card"]["header"]["title"].startswith("【新規依頼】")
    chatwork, = receivers[chat.CHATWORK].posts
    assert chatwork.path == "/rooms/42/messages" and chatwork.headers["x-chatworktoken"] == "tok123"
    assert request.title in parse_qs(chatwork.body.decode())["body"][0]
    hook, = receivers[chat.WEBHOOK].posts
    payload = Webhook(made[chat.WEBHOOK].secret).verify(hook.body, hook.headers)
    jsonschema.validate(payload, {**openapi.DOCUMENT["components"]["schemas"]["ChatWebhook"],
                                  "$defs": openapi.DOCUMENT["components"]["schemas"]})
    assert payload["type"] == "request.created" and payload["data"]["request"]["id"] == request.request_id
    assert payload["data"]["request"]["company_name"] == world["company"].name


def test_a_company_channel_gets_its_own_company_only_and_never_internal_things(world, receiver):
    add(world["client"], receiver, events=(chat.CREATED, chat.COMMENT_AGENCY, chat.STATUS))
    mine = file(world)
    file(world, who="outsider")                                   # another company's request
    requests.update_request(world["staff"], mine.request_id,
                            requests.RequestChanges(status=workflow.WAITING, memo="社内メモ: 原価は3時間"), revision=0)
    sent = bodies(receiver)
    assert len(sent) == 2 and all(world["company"].name in b["text"] for b in sent)
    assert "「新規」から「確認待ち」" in sent[1]["blocks"][1]["text"]["text"]
    assert all("原価" not in json.dumps(b, ensure_ascii=False) for b in sent)


def test_a_client_admin_cannot_ask_for_mail_failures_or_another_companys_traffic(world, receiver):
    with pytest.raises(Exception) as refused:
        add(world["client"], receiver, events=(chat.MAIL_FAILED,))
    assert "通知する出来事" in str(refused.value.errors) or "events" in refused.value.errors
    destination = add(world["client"], receiver, events=(chat.CREATED,))
    assert destination.company_id == world["company"].company_id
    with pytest.raises(Exception):
        chat.destination(world["outsider"], destination.destination_id)


def test_concurrent_senders_post_each_event_once(world, receiver, monkeypatch):
    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "scheduled")
    monkeypatch.setenv("IRAI_MAIL_WINDOW_SECONDS", "0")
    add(world["admin"], receiver, company=world["company"])
    request = file(world)
    requests.add_comment(world["client"], request.request_id, "同時に送られても一回だけ。")
    events = mail_of(request.request_id)[0]
    errors = []

    def sender():
        try:
            notifications.deliver(list(events))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    notifications.deliver(list(events))                     # a redelivered event, e.g. a retried Lambda
    notifications.deliver_due(now=utcnow() + timedelta(hours=1))
    assert sorted(b["text"].split("】")[0] for b in bodies(receiver)) == ["【クライアントのコメント", "【新規依頼"]


def deliveries(destination) -> list[ChatDelivery]:
    return ChatDelivery.newest(destination.destination_id, limit=10)


def test_429_waits_for_retry_after_5xx_and_timeouts_retry_and_the_post_goes_later(world, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "READ_SECONDS", 0.5)
    destination = add(world["admin"], receiver, company=world["company"])
    receiver.replies = [Reply(429, b"rate_limited", {"Retry-After": "600"}), Reply(503, b"busy"), Reply(hang=True)]
    before = utcnow()
    file(world)
    d, = deliveries(destination)
    assert (d.status, d.attempts) == (PENDING, 1) and "HTTP 429" in d.last_error
    assert d.next_attempt_at >= before + timedelta(seconds=600)        # Retry-After outweighs the 1-minute backoff
    notifications.deliver([d], now=d.next_attempt_at)
    d, = deliveries(destination)
    assert (d.status, d.attempts) == (PENDING, 2) and "HTTP 503" in d.last_error
    notifications.deliver([d], now=d.next_attempt_at)
    d, = deliveries(destination)
    assert (d.status, d.attempts) == (PENDING, 3) and "timeout" in d.last_error
    notifications.deliver([d], now=d.next_attempt_at)
    d, = deliveries(destination)
    assert (d.status, d.answer_status) == (SENT, 200) and len(receiver.posts) == 4
    assert ChatDestination.find("AGENCY", destination.destination_id).last_status == "sent"


def test_a_post_refused_for_good_is_shown_on_the_destination(world, receiver):
    destination = add(world["admin"], receiver, company=world["company"])
    receiver.default = Reply(404, b"no_service")
    file(world)
    d, = deliveries(destination)
    assert (d.status, d.attempts, d.answer_status) == (FAILED, 1, 404) and "no_service" in d.last_error
    stored = ChatDestination.find("AGENCY", destination.destination_id)
    assert stored.last_status == "failed" and "HTTP 404" in stored.last_error


def test_posts_that_keep_failing_stop_after_the_last_attempt(world, receiver):
    destination = add(world["admin"], receiver, company=world["company"])
    receiver.default = Reply(500, b"down")
    file(world)
    for _ in range(notifications.MAX_ATTEMPTS - 1):
        d, = deliveries(destination)
        notifications.deliver([d], now=d.next_attempt_at)
    d, = deliveries(destination)
    assert (d.status, d.attempts) == (FAILED, notifications.MAX_ATTEMPTS)
    assert len(receiver.posts) == notifications.MAX_ATTEMPTS


def test_a_mail_that_fails_for_good_is_posted_to_the_agency_channel(world, receiver):
    add(world["admin"], receiver, company=world["company"], events=(chat.MAIL_FAILED,))
    FAULTS.fail("ses", "SendRawEmail", "MessageRejected")
    request = file(world, participant_ids=[world["colleague"].user_id])   # the colleague is mailed
    FAULTS.clear()
    sent = bodies(receiver)
    assert sent and all(b["text"].startswith("【メール送信の失敗】") for b in sent)
    assert "MessageRejected" in sent[0]["blocks"][1]["text"]["text"]
    assert f"/requests/{request.request_id}" in sent[0]["blocks"][2]["elements"][0]["url"]


def test_a_switched_off_destination_gets_nothing(world, receiver):
    destination = add(world["admin"], receiver, company=world["company"])
    chat.update(world["admin"], destination.destination_id,
                chat.DestinationForm(name=destination.name, company_id=world["company"].company_id,
                                     events=tuple(destination.events), active=False))
    file(world)
    assert receiver.posts == []


def test_private_addresses_are_refused_when_sending_outside_local_mode(world, receiver, monkeypatch):
    destination = add(world["admin"], receiver, company=world["company"])
    monkeypatch.setenv("IRAI_LOCAL_MODE", "0")
    outcome = chat.send_test(world["admin"], destination.destination_id)
    # Outside local mode the receiver's http:// URL is refused before any address is looked at.
    assert (outcome.result, outcome.detail) == (chat.FAILED, t("chat.refused.https_only"))
    destination.update(actions=[ChatDestination.url.set("https://127.0.0.1:9/hook")])
    outcome = chat.send_test(world["admin"], destination.destination_id)
    assert (outcome.result, outcome.detail) == (chat.FAILED, t("chat.refused.private_address"))
    assert receiver.posts == []


# The settings pages ---------------------------------------------------------------------------

def test_the_agency_admin_adds_a_webhook_sees_the_secret_once_and_tests_it(world, receiver, client):
    agent = signed_in(client, world["admin"])
    page = agent.get("/settings/chat")
    assert page.status_code == 200 and "通知先を追加" in agent.text(page)
    created = agent.post("/settings/chat", {"name": "基幹システム", "service": "webhook",
                                            "url": f"{receiver.url}/in", "company_id": world["company"].company_id,
                                            "events": "created", "active": "1"})
    assert created.status_code == 201
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", agent.text(created)).group(0)
    stored, = [d for d in ChatDestination.all() if d.name == "基幹システム" and d.created_by == world["admin"].name]
    assert stored.secret == secret
    shown = agent.get(f"/settings/chat/{stored.destination_id}")
    assert secret not in agent.text(shown) and receiver.url not in agent.text(shown)
    tested = agent.post(f"/settings/chat/{stored.destination_id}/test", {})
    assert "テスト送信が届きました: HTTP 200 ok" in agent.text(tested)
    hook, = receiver.posts
    assert Webhook(secret).verify(hook.body, hook.headers)["type"] == "irai.test"


def test_a_refused_form_names_the_field_and_keeps_what_was_typed(world, client):
    agent = signed_in(client, world["admin"])
    refused = agent.post("/settings/chat", {"name": "社内の通知", "service": "slack", "url": "ftp://example.com/x",
                                            "events": "created"})
    text = agent.text(refused)
    assert refused.status_code == 400 and "「https://」で始まるもの" in text
    assert 'value="社内の通知"' in refused.body.decode() and 'value="ftp://example.com/x"' in refused.body.decode()


def test_a_client_admin_sees_only_its_company_destinations(world, receiver, client):
    mine = add(world["client"], receiver, events=(chat.CREATED,))
    theirs = add(world["outsider"], receiver, events=(chat.CREATED,))
    agent = signed_in(client, world["client"])
    listed = agent.text(agent.get("/settings/chat"))
    assert mine.name in listed and theirs.name not in listed
    assert agent.get(f"/settings/chat/{theirs.destination_id}").status_code == 404
    member = make_client(world["company"], name="一般 三郎")
    assert signed_in(client, member).get("/settings/chat").status_code == 403
