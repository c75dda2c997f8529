"""Chat notifications: destinations, which events reach which, the message each service takes,
and one post with its outcome. The outbox mechanics (claiming, retrying, the schedule) are the
mail's, in services.notifications, which calls ``deliveries_for`` while it expands an event.

Who sees what:

- An agency destination gets the events it names of every company, or of the one it is limited to,
  and may get mail failures (agency only).
- A company's destination (added by its client admin) gets its own company's events only.
- Events are the mail's (models.notifications.MailEvent): a 社内メモ never is one, and a message
  says no more than the mail would: who, what changed, an excerpt of the text, and the link.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable
from urllib.parse import quote, urlencode

from chalicelib.adapters import config, webhooks
from chalicelib.clock import utcnow
from chalicelib.errors import Invalid, NotFound
from chalicelib.messages import CHAT_EVENT_LABELS, MAIL_EVENT_LABELS, STATUS_LABELS, t
from chalicelib.models.agency import AgencySettings
from chalicelib.models.chat import AGENCY_OWNER, DESTINATIONS_MAX, ChatDelivery, ChatDestination
from chalicelib.models.companies import Company
from chalicelib.models.ids import is_id, new_id
from chalicelib.models.notifications import MailEvent, Notification
from chalicelib.models.requests import DONE, Request
from chalicelib.models.users import User
from chalicelib.services import permissions
from chalicelib.services import validation as v

TEAMS, SLACK, GOOGLE_CHAT, CHATWORK, WEBHOOK = "teams", "slack", "google_chat", "chatwork", "webhook"
SERVICES = (TEAMS, SLACK, GOOGLE_CHAT, CHATWORK, WEBHOOK)

CREATED, COMMENT_CLIENT, COMMENT_AGENCY, STATUS, ESTIMATE, COMPLETED, MAIL_FAILED = (
    "created", "comment_client", "comment_agency", "status", "estimate", "completed", "mail_failed")
EVENTS = (CREATED, COMMENT_CLIENT, COMMENT_AGENCY, STATUS, ESTIMATE, COMPLETED, MAIL_FAILED)
AGENCY_ONLY_EVENTS = (MAIL_FAILED,)

NAME_MAX = 50
EXCERPT_MAX = 300     # characters of a comment or request text in a message
SECRET_PREFIX = "whsec_"


def chatwork_api() -> str:
    """Chatwork's API root; local mode and the tests point it at a receiver on this machine."""
    return (config.chatwork_api_url() or "https://api.chatwork.com/v2").rstrip("/")


# Which events reach which destination.

def event_kinds(e: MailEvent) -> set[str]:
    """The chat events a mail event counts as (a status change to 完了 is both)."""
    if e.event == "created":
        return {CREATED}
    if e.event == "comment":
        return {COMMENT_AGENCY if e.actor_side == "agency" else COMMENT_CLIENT}
    if e.event == "status":
        return {STATUS, COMPLETED} if e.new_value == STATUS_LABELS[DONE] else {STATUS}
    if e.event in ("estimate", "estimate_answer"):
        return {ESTIMATE}
    return set()  # 担当者の設定 is the agency's own business


def receives(destination: ChatDestination, kinds: set[str], company_id: str) -> bool:
    """Whether ``destination`` is told of an event of ``kinds`` on a request of ``company_id``."""
    if destination.active != "1" or not kinds & set(destination.events):
        return False
    if destination.owner != AGENCY_OWNER:
        return destination.owner == company_id == destination.company_id and not kinds & set(AGENCY_ONLY_EVENTS)
    return destination.company_id in (None, "", company_id)


def deliveries_for(e: MailEvent, request: Request, destinations: Iterable[ChatDestination],
                   now: datetime) -> list[ChatDelivery]:
    """The posts ``e`` makes, one per destination that is told of it (unsaved)."""
    kinds = event_kinds(e)
    return [ChatDelivery.new(destination=d, key=e.event_id, created_at=now, request_id=request.request_id,
                             event_id=e.event_id, event=sorted(kinds)[0], source=f"{e.pk}|{e.sk}")
            for d in destinations if receives(d, kinds, request.company_id)]


def failure_deliveries(n: Notification, request: Request, destinations: Iterable[ChatDestination],
                       now: datetime) -> list[ChatDelivery]:
    """The posts a mail that failed for good makes (agency destinations that ask for them)."""
    return [ChatDelivery.new(destination=d, key=f"{n.event_id}#MAIL#{n.recipient_id.lower()}", created_at=now,
                             request_id=request.request_id, event_id=n.event_id, event=MAIL_FAILED,
                             source=f"{n.pk}|{n.sk}")
            for d in destinations if d.owner == AGENCY_OWNER and receives(d, {MAIL_FAILED}, request.company_id)]


# What a message says.

@dataclass(frozen=True)
class Message:
    event: str          # one of EVENTS, or "test"
    title: str
    text: str
    url: str
    link_label: str
    data: dict          # the generic webhook's "data"


def request_url(request_id: str) -> str:
    return f"{config.site_url()}/requests/{quote(request_id)}"


def _excerpt(text: str) -> str:
    text = v.multi_line(text or "").strip()
    return text if len(text) <= EXCERPT_MAX else text[:EXCERPT_MAX] + "…"


def _request_data(request: Request) -> dict:
    return {"id": request.request_id, "number": request.number, "title": request.title,
            "company_id": request.company_id, "company_name": request.company_name,
            "status": STATUS_LABELS.get(request.status, request.status), "url": request_url(request.request_id)}


def event_message(d: ChatDelivery, e: MailEvent, request: Request, agency: AgencySettings) -> Message:
    actor = t("chat.actor_agency", agency=agency.name, name=e.actor_name) if e.actor_side == "agency" \
        else t("chat.actor_client", name=e.actor_name)
    if e.event == "status":
        what = t("chat.status", actor=actor, old=e.old_value or "", new=e.new_value or "")
    elif e.event == "estimate_answer":
        what = t("chat.estimate_answer", actor=actor, answer=e.new_value or "")
    else:
        what = t(f"chat.{e.event}", actor=actor)
    excerpt = _excerpt(e.body) if e.event in ("created", "comment") else ""
    label = CHAT_EVENT_LABELS[d.event] if d.event != STATUS else MAIL_EVENT_LABELS["status"]
    title = t("chat.title", label=label, company=request.company_name, number=request.number, subject=request.title)
    data = {"request": _request_data(request), "event": e.event,
            "actor": {"name": e.actor_name, "side": e.actor_side},
            "old_value": e.old_value, "new_value": e.new_value, "text": excerpt,
            "occurred_at": e.created_at.isoformat().replace("+00:00", "Z"), "summary": what}
    return Message(event=d.event, title=title, text="\n".join(filter(None, [what, excerpt])),
                   url=request_url(request.request_id), link_label=t("chat.open_request"), data=data)


def failure_message(d: ChatDelivery, n: Notification, request: Request) -> Message:
    what = t("chat.mail_failed", name=n.recipient_name or n.recipient_id,
             kind=MAIL_EVENT_LABELS.get(n.event, n.event), error=n.last_error or "")
    title = t("chat.title", label=CHAT_EVENT_LABELS[MAIL_FAILED], company=request.company_name,
              number=request.number, subject=request.title)
    data = {"request": _request_data(request), "event": n.event, "recipient": {"name": n.recipient_name},
            "error": n.last_error, "summary": what}
    return Message(event=MAIL_FAILED, title=title, text=what, url=request_url(request.request_id),
                   link_label=t("chat.open_request"), data=data)


def test_message(agency: AgencySettings, destination: ChatDestination) -> Message:
    text = t("chat.test_text", name=destination.name)
    return Message(event="test", title=t("chat.test_title", agency=agency.name), text=text,
                   url=f"{config.site_url()}/", link_label=t("chat.open_site"), data={"summary": text})


# The body each service takes.

def teams_body(m: Message) -> dict:
    """A Teams Workflows webhook ("Post to a channel when a webhook request is received"): a
    message with one Adaptive Card attachment."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
        "body": [{"type": "TextBlock", "text": m.title, "weight": "Bolder", "size": "Medium", "wrap": True},
                 *({"type": "TextBlock", "text": line, "wrap": True} for line in m.text.split("\n") if line)],
        "actions": [{"type": "Action.OpenUrl", "title": m.link_label, "url": m.url}],
    }
    return {"type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(m: Message) -> dict:
    """A Slack incoming webhook: Block Kit, with ``text`` as the notification's fallback."""
    return {"text": m.title,
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": m.title[:150], "emoji": False}},
                       {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(m.text)[:3000]}},
                       {"type": "actions", "elements": [{"type": "button", "url": m.url,
                                                         "text": {"type": "plain_text", "text": m.link_label}}]}]}


def google_chat_body(m: Message) -> dict:
    """A Google Chat space webhook: a card (cardsV2), with ``text`` for the notification."""
    escaped = m.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
    return {"text": m.title,
            "cardsV2": [{"cardId": "irai", "card": {
                "header": {"title": m.title},
                "sections": [{"widgets": [
                    {"textParagraph": {"text": escaped}},
                    {"buttonList": {"buttons": [{"text": m.link_label, "onClick": {"openLink": {"url": m.url}}}]}},
                ]}]}}]}


def chatwork_text(m: Message) -> str:
    """A Chatwork message in its notation: an [info] box with a [title]. Chatwork reads "[" tags
    in what people typed too, so their brackets are made full-width."""
    def plain(text: str) -> str:
        return text.replace("[", "［").replace("]", "］")
    return f"[info][title]{plain(m.title)}[/title]{plain(m.text)}\n{m.url}[/info]"


def webhook_body(m: Message, *, message_id: str, at: datetime) -> dict:
    """The generic webhook's JSON (its schema is ChatWebhook in the OpenAPI document)."""
    return {"type": f"request.{m.event}" if m.event not in ("test", MAIL_FAILED) else
            ("irai.test" if m.event == "test" else "mail.failed"),
            "id": message_id, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": m.data}


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature: base64 HMAC-SHA256 over ``id.timestamp.body`` with the
    secret's bytes (the base64 after ``whsec_``), versioned ``v1,``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def request_for(destination: ChatDestination, m: Message, *, message_id: str, at: datetime) -> tuple[str, bytes, dict]:
    """The URL, body and headers of the post of ``m`` to ``destination``."""
    if destination.service == CHATWORK:
        url = f"{chatwork_api()}/rooms/{quote(destination.room_id)}/messages"
        return url, urlencode({"body": chatwork_text(m)}).encode(), {
            "X-ChatWorkToken": destination.token, "Content-Type": "application/x-www-form-urlencoded"}
    json_headers = {"Content-Type": "application/json; charset=utf-8"}
    if destination.service == WEBHOOK:
        body = json.dumps(webhook_body(m, message_id=message_id, at=at), ensure_ascii=False).encode()
        stamp = int(at.timestamp())
        return destination.url, body, {**json_headers, "webhook-id": message_id, "webhook-timestamp": str(stamp),
                                       "webhook-signature": sign(destination.secret, message_id, stamp, body)}
    builder = {TEAMS: teams_body, SLACK: slack_body, GOOGLE_CHAT: google_chat_body}[destination.service]
    return destination.url, json.dumps(builder(m), ensure_ascii=False).encode(), json_headers


# One post and its outcome.

SENT, RETRY, FAILED = "sent", "retry", "failed"


@dataclass(frozen=True)
class Outcome:
    result: str                    # SENT, RETRY or FAILED (for good)
    detail: str                    # what the page shows: "HTTP 200 ok", "timeout", a refusal
    status: int | None = None
    retry_after: float | None = None


def post(destination: ChatDestination, m: Message, *, message_id: str, at: datetime) -> Outcome:
    """Post ``m`` once. 2xx is sent; 429, 5xx and no answer are tried again; any other answer, or
    a URL that may not be posted to, fails for good (trying again would not change it)."""
    url, body, headers = request_for(destination, m, message_id=message_id, at=at)
    try:
        answer = webhooks.post(url, body, headers)
    except webhooks.Refused as refused:
        return Outcome(FAILED, t(f"chat.refused.{refused.reason}"))
    except webhooks.Unreachable as error:
        return Outcome(RETRY, t("chat.unreachable", code=error.code))
    detail = f"HTTP {answer.status} {v.one_line(answer.body)[:200]}".strip()
    if 200 <= answer.status < 300:
        return Outcome(SENT, detail, answer.status)
    if answer.status == 429 or answer.status >= 500:
        return Outcome(RETRY, detail, answer.status, answer.retry_after)
    return Outcome(FAILED, detail, answer.status)


# The settings pages.

@dataclass
class DestinationForm:
    name: str = ""
    service: str = ""
    url: str = ""
    token: str = ""
    room_id: str = ""
    company_id: str = ""
    events: tuple = ()
    active: bool = True


def _authorize(actor: User, owner: str) -> None:
    if owner == AGENCY_OWNER:
        permissions.authorize(actor, permissions.CHAT_MANAGE, agency_target=True)
    else:
        permissions.authorize(actor, permissions.CHAT_MANAGE_COMPANY, company_id=owner)


def owner_of(actor: User) -> str:
    return AGENCY_OWNER if actor.is_agency else actor.company_id


def allowed_events(owner: str) -> tuple[str, ...]:
    return EVENTS if owner == AGENCY_OWNER else tuple(e for e in EVENTS if e not in AGENCY_ONLY_EVENTS)


def listing(actor: User) -> list[ChatDestination]:
    """The destinations ``actor`` manages (the agency admin: the agency's own and every company's,
    e.g. to switch off one that keeps failing; a client admin: its company's), in the order they
    were added."""
    owner = owner_of(actor)
    _authorize(actor, owner)
    found = ChatDestination.all()
    mine = [d for d in found if owner == AGENCY_OWNER or d.owner == owner]
    return sorted(mine, key=lambda d: (d.owner != AGENCY_OWNER, d.created_at))


def destination(actor: User, destination_id: str) -> ChatDestination:
    """One destination: the agency admin's any, a client admin's its company's (NotFound for
    another company's, which a client may not learn of)."""
    found = None
    if is_id(destination_id):
        if actor.is_agency:
            found = next((d for d in ChatDestination.all() if d.destination_id == destination_id), None)
        else:
            found = ChatDestination.find(actor.company_id, destination_id)
    if found is None:
        raise NotFound()
    if actor.is_agency:
        permissions.authorize(actor, permissions.CHAT_MANAGE, agency_target=True)
    else:
        permissions.authorize(actor, permissions.CHAT_MANAGE_COMPANY, company_id=found.owner)
    return found


def _clean(form: DestinationForm, *, owner: str, existing: ChatDestination | None) -> dict:
    errors = v.FieldErrors()
    values = {"name": v.clean_line(form.name, errors, "name", maximum=NAME_MAX)}
    service = existing.service if existing else form.service
    errors.check("service", service in SERVICES, "chat.choose_service")
    if service == CHATWORK:
        token, room = form.token.strip(), v.normalise_width(form.room_id).strip()
        if token or not existing:
            errors.check("token", bool(token), "required") and errors.check(
                "token", token.isascii() and token.isalnum() and len(token) <= 100, "chat.bad_token")
            values["token"] = token
        errors.check("room_id", bool(room), "required") and errors.check(
            "room_id", room.isascii() and room.isdigit() and len(room) <= 20, "chat.bad_room")
        values["room_id"] = room
    elif service in SERVICES:
        url = form.url.strip()
        if url or not existing:
            if errors.check("url", bool(url), "required") and errors.check("url", len(url) <= 2000, "too_long",
                                                                           max=2000):
                try:
                    webhooks.check_url(url)
                except webhooks.Refused as refused:
                    errors.check("url", False, f"chat.refused.{refused.reason}")
            values["url"] = url
    if owner == AGENCY_OWNER:
        company_id = form.company_id.strip()
        if company_id:
            errors.check("company_id", is_id(company_id) and Company.find(company_id) is not None, "chat.choose_company")
        values["company_id"] = company_id or None
    else:
        values["company_id"] = owner
    chosen = [e for e in form.events if e in allowed_events(owner)]
    errors.check("events", bool(chosen) and len(chosen) == len(form.events), "chat.choose_events")
    values["events"] = chosen
    values["active"] = "1" if form.active else "0"
    if errors:
        raise Invalid(dict(errors))
    return values


def create(actor: User, form: DestinationForm, *, now: datetime | None = None) -> ChatDestination:
    """A new destination; a generic webhook gets its signing secret (shown once, by the caller)."""
    owner = owner_of(actor)
    _authorize(actor, owner)
    values = _clean(form, owner=owner, existing=None)
    if sum(1 for d in ChatDestination.all() if d.owner == owner) >= DESTINATIONS_MAX:
        raise Invalid({"_form": t("chat.too_many", max=DESTINATIONS_MAX)})
    destination_id = new_id()
    item = ChatDestination(*ChatDestination.keys(owner, destination_id), destination_id=destination_id, owner=owner,
                           service=form.service, created_at=now or utcnow(), created_by=actor.name,
                           secret=new_secret() if form.service == WEBHOOK else "", **values)
    item.save(condition=ChatDestination.pk.does_not_exist())
    return item


def update(actor: User, destination_id: str, form: DestinationForm) -> ChatDestination:
    """Change a destination; a blank URL or token keeps the stored one."""
    item = destination(actor, destination_id)
    values = _clean(form, owner=item.owner, existing=item)
    item.update(actions=[getattr(ChatDestination, name).set(value) if value is not None
                         else getattr(ChatDestination, name).remove() for name, value in values.items()])
    return item


def delete(actor: User, destination_id: str) -> None:
    destination(actor, destination_id).delete()


def send_test(actor: User, destination_id: str, *, now: datetime | None = None) -> Outcome:
    """テスト送信: post a test message at once and answer with what the service said."""
    item = destination(actor, destination_id)
    now = now or utcnow()
    outcome = post(item, test_message(AgencySettings.load(), item), message_id=f"test_{new_id()}", at=now)
    record(item, outcome, now)
    return outcome


def record(item: ChatDestination, outcome: Outcome, now: datetime) -> None:
    """Keep the newest outcome on the destination, for its settings page."""
    if outcome.result == RETRY:
        return
    item.update(actions=[ChatDestination.last_status.set(outcome.result), ChatDestination.last_at.set(now),
                         ChatDestination.last_error.set(outcome.detail) if outcome.result == FAILED
                         else ChatDestination.last_error.remove()])


def recent(item: ChatDestination, *, limit: int) -> list[ChatDelivery]:
    """The destination's newest posts, newest first (one query)."""
    return ChatDelivery.newest(item.destination_id, limit=limit)


def secret_hint(secret: str) -> str:
    return f"{secret[:10]}…" if secret else ""


def masked_url(item: ChatDestination) -> str:
    return webhooks.masked(item.url) if item.url else ""
