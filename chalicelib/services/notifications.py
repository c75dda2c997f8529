"""Notifications: who is told about what, and the sender that empties the outbox.

Who (the table in PRODUCT.md):

- 新規依頼: the agency's accounts, and the 依頼関係者 the client chose.
- a comment, status change or 見積 by the agency: the requester and the 依頼関係者.
- a comment, status change (also 取り下げ and 完了確認) or answer to an estimate (承認 / 差し戻し)
  by the client: the 担当者 (the agency's accounts when nobody, or a deactivated account, is
  assigned), and the requester and 依頼関係者.
- 担当者 set: the new assignee.

Never the author, never a deactivated account, never an account of another company. Two choices
people make for themselves: a client turns off mail for requests they only follow (依頼関係者), a
staff member turns off mail for requests nobody is assigned to (then only their own arrive).
社内メモ never become mail.

How: a service adds ``event(...)``'s MailEvent to the transaction that stores the change (the
outbox). The sender turns it into one Notification per recipient and sends each, claiming every
item with a conditional write first, so two senders (a retried Lambda, the schedule and an inline
send) never both do one. What happens on a request within a short window reaches each recipient
as one mail: scheduled delivery holds a notification for config.mail_window() (2 minutes), and
sending one takes the recipient's other pending notifications of the request along (each claimed
the same way), so a status change and its comment, or several quick comments, are one mail;
inline delivery sends at once, one mail for what one change queued. A failed send waits RETRY_DELAYS and is tried again; after the last
attempt it stays FAILED, shown to the agency on the request. In AWS a scheduled Lambda runs
``deliver_due`` every minute, so nobody's request waits for SES; locally
(IRAI_MAIL_DELIVERY=inline) ``after_commit`` sends at once.

A sender that dies between SES accepting a mail and recording it leaves its claim to expire, and
the mail is sent again: at least once, never silently dropped.

Chat (services.chat): expanding an event also writes one ChatDelivery per chat destination told
of it; each is claimed, posted, retried and finished the way a notification is (``_post``).
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from pynamodb.exceptions import PutError, PynamoDBException, UpdateError

from chalicelib.adapters import config
from chalicelib.adapters.ses import SendFailed
from chalicelib.messages import t
from chalicelib.models import notifications as outbox
from chalicelib.models.base import Item, is_condition_failure
from chalicelib.models.agency import AgencySettings
from chalicelib.models.chat import ChatDelivery, ChatDestination
from chalicelib.models.ids import is_id
from chalicelib.models.notifications import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    MailEvent,
    MailSuppression,
    Notification,
    outbox_keys,
)
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_ACCOUNTS_MAX, User
from chalicelib.services import chat, mail, permissions
from chalicelib.services.pointrules import POSTPAID
from chalicelib.clock import utcnow
from chalicelib.errors import Invalid, NotFound

log = logging.getLogger(__name__)

# Events.
CREATED, COMMENT, STATUS, ASSIGNED = "created", "comment", "status", "assigned"
# Why someone is told.
STAFF, ASSIGNEE, REQUESTER, PARTICIPANT = "staff", "assignee", "requester", "participant"
# Why a notification was not sent (messages.MAIL_SKIP_LABELS says it in words).
SKIP_INACTIVE, SKIP_OPTED_OUT, SKIP_BOUNCE, SKIP_COMPLAINT = "inactive", "opted_out", "bounce", "complaint"

LEASE = timedelta(minutes=5)  # longer than the Lambda timeout, so a live sender never loses its claim
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
BATCH = 50  # outbox items one scheduled run takes at most; the next run takes the rest
RUN_SECONDS = 20  # a scheduled run takes no new item after this, well inside the Lambda timeout


@dataclass(frozen=True)
class Recipient:
    user_id: str
    relation: str


def recipients(e: MailEvent, *, request: Request, people: Mapping[str, User]) -> list[Recipient]:
    """Who is told about the event ``e`` on ``request`` (as it is now). Pure.

    ``people`` maps user IDs to accounts and must hold the requester, the 依頼関係者, the assignee
    and, when they may be told, the agency's accounts.
    """
    staff = [Recipient(u.user_id, STAFF) for u in people.values() if u.is_agency]
    assignee = people.get(request.assignee_id or "")
    agency = [Recipient(assignee.user_id, ASSIGNEE)] if assignee and assignee.active else staff
    requester = [Recipient(request.requester_id, REQUESTER)]
    participants = [Recipient(user_id, PARTICIPANT) for user_id in request.participant_ids]
    if e.event == CREATED:
        chosen = staff + participants
    elif e.event == ASSIGNED:
        chosen = [Recipient(e.assignee_id, ASSIGNEE)] if e.assignee_id else []
    elif e.actor_side == "agency":
        chosen = requester + participants
    else:
        chosen = agency + requester + participants

    result, seen = [], {e.actor_id.lower()}
    for recipient in chosen:
        user = people.get(recipient.user_id)
        if user is None or user.user_id.lower() in seen or _refusal(user, recipient.relation, request):
            continue
        seen.add(user.user_id.lower())
        result.append(recipient)
    return result


def _refusal(user: User, relation: str, request: Request) -> str | None:
    """Why ``user`` may not get mail about ``request`` as ``relation``, or None."""
    if not user.active:
        return SKIP_INACTIVE
    if relation in (STAFF, ASSIGNEE):
        if not user.is_agency:
            return SKIP_INACTIVE
        return SKIP_OPTED_OUT if relation == STAFF and not user.mail_unassigned else None
    if user.is_agency or user.company_id != request.company_id:
        return SKIP_INACTIVE
    return SKIP_OPTED_OUT if relation == PARTICIPANT and not user.mail_following else None


def _audience(e: MailEvent, request: Request) -> dict[str, User]:
    """The accounts ``recipients`` needs: one batch read, plus one query of the agency's accounts
    when they may all be told."""
    ids = [request.requester_id, *request.participant_ids, request.assignee_id, e.assignee_id]
    keys = list(dict.fromkeys(User.keys(user_id) for user_id in ids if user_id))
    people = {user.user_id: user for user in User.batch_get(keys)}
    assignee = people.get(request.assignee_id or "")
    if e.event == CREATED or (e.actor_side == "client" and not (assignee and assignee.active)):
        people.update({user.user_id: user for user in User.members(None, limit=AGENCY_ACCOUNTS_MAX)})
    return people


def event(kind: str, *, request: Request, actor: User, event_id: str, at: datetime, body: str = "",
          old_value: str | None = None, new_value: str | None = None, file_names: Iterable[str] = (),
          assignee_id: str | None = None, charge=None) -> MailEvent:
    """The outbox item for one event, for the caller to write in the transaction of the change.

    ``charge``: the ledger.ChargePlan a 完了 writes in the same transaction; the mail then says
    what was charged and what is left (or, on a metered contract, the month's usage)."""
    points = {}
    if charge is not None:
        delta = int(charge.entry.delta_tenths)
        points["charged_tenths"] = -delta
        if charge.balance.contract_kind == POSTPAID:
            same = getattr(charge.balance, "usage_month", None) == charge.month
            points["usage_tenths"] = (int(charge.balance.usage_tenths or 0) if same else 0) - delta
            points["usage_month"] = charge.month
        else:
            points["left_tenths"] = int(charge.entry.balance_after_tenths)
    return MailEvent.new(request_id=request.request_id, event_id=event_id, created_at=at, event=kind,
                         actor_id=actor.user_id, actor_name=actor.name,
                         actor_side="agency" if actor.is_agency else "client", assignee_id=assignee_id,
                         body=body, old_value=old_value, new_value=new_value, file_names=list(file_names),
                         **points)


# Sending.

class _Cache:
    """What the items of one run share: the agency's settings, requests, their events and the
    accounts an expansion has just read (its notifications are sent right after it)."""

    def __init__(self):
        self._agency: AgencySettings | None = None
        self._items: dict[tuple, object] = {}

    def destinations(self) -> list[ChatDestination]:
        """Every chat destination, read once per run (one query of a small partition)."""
        if "destinations" not in self._items:
            self._items["destinations"] = ChatDestination.all()
        return self._items["destinations"]

    def agency(self) -> AgencySettings:
        if self._agency is None:
            self._agency = AgencySettings.load()
        return self._agency

    def request(self, request_id: str) -> Request | None:
        return self._get(Request, request_id)

    def event(self, request_id: str, event_id: str) -> MailEvent | None:
        return self._get(MailEvent, request_id, event_id)

    def user(self, user_id: str) -> User | None:
        return self._get(User, user_id.lower())

    def pending_for(self, request_id: str, recipient_id: str) -> list[Notification]:
        """The recipient's pending notifications of the request, from one query of its mail per
        run, read when the run first sends about it (after every expansion of the run). A listing
        that is stale is safe: each is claimed by a conditional write before it goes."""
        key = ("pending", request_id)
        if key not in self._items:
            self._items[key] = [n for n in outbox.of_request(request_id)[1] if n.status == PENDING]
        return [n for n in self._items[key] if n.recipient_id.lower() == recipient_id.lower()]

    def keep(self, item, *parts) -> None:
        """Remember ``item`` as what ``type(item).find(*parts)`` would read."""
        self._items[(type(item).__name__, *parts)] = item

    def _get(self, model, *parts):
        key = (model.__name__, *parts)
        if key not in self._items:
            self._items[key] = model.find(*parts)
        return self._items[key]


def deliver_due(*, now: datetime | None = None, limit: int = BATCH, seconds: float = RUN_SECONDS) -> Counter:
    """Do what is due in the outbox (the scheduled sender), for at most ``seconds``: what is left
    (still due, or still claimed by an item cut short) is the next run's. Returns counts per outcome."""
    now = now or utcnow()
    return deliver(outbox.due(now, limit=limit), now=now, until=time.monotonic() + seconds)


def deliver_request(request_id: str, *, now: datetime | None = None) -> Counter:
    """Do what is due in the outbox for one request (one query of its mail partition)."""
    events, notifications = outbox.of_request(request_id)
    return deliver([item for item in [*events, *notifications] if item.status in (PENDING, SENDING)], now=now)


def deliver(items: Iterable[MailEvent | Notification | ChatDelivery], *, now: datetime | None = None,
            until: float | None = None) -> Counter:
    """Expand events and send notifications, unless another sender has them or they are done.

    Every event is expanded first, so a recipient told about several of them (what one change
    queued, or what happened within the window) gets one mail: sending a notification takes the
    recipient's other pending notifications of the request along (_deliver).

    Returns how many notifications were "sent", "retry" (failed, tried again later), "failed",
    "skipped" or "taken" (not ours), and how many events were "expanded".
    """
    cache, outcomes, queue, done = _Cache(), Counter(), [], set()
    for item in items:
        if until is not None and time.monotonic() > until:
            return outcomes
        moment = now or utcnow()
        if isinstance(item, MailEvent):
            created = _expand(item, moment, cache)
            if created is None:
                outcomes["taken"] += 1
                continue
            outcomes["expanded"] += 1
            # Those held for the window are the run's that finds them due (chat posts are due at once).
            queue += [n for n in created if n.next_attempt_at <= moment]
        else:
            queue.append(item)
    for n in queue:
        if until is not None and time.monotonic() > until:
            break
        if (n.pk, n.sk) in done:
            continue  # went along with an earlier notification of this run
        if isinstance(n, ChatDelivery):
            outcomes[f"chat_{_post(n, now or utcnow(), cache)}"] += 1
            continue
        handled, counts = _deliver(n, now or utcnow(), cache)
        done.update(handled)
        outcomes.update(counts)
    return outcomes


def after_commit(events: list[MailEvent]) -> None:
    """Locally, send what a change just queued; in AWS the schedule does. Never fails the
    caller's request: whatever is not done stays in the outbox for the next sweep."""
    if not events or config.mail_delivery() != "inline":
        return
    # "Now" is at least when they were queued, so a change stamped with a given time (tests,
    # clocks a little apart) is still sent at once.
    now = max([utcnow(), *(e.next_attempt_at for e in events)])
    try:
        deliver(events, now=now)
    except PynamoDBException:
        log.exception("inline mail delivery stopped; the outbox sweep will retry")


def _expand(e: MailEvent, now: datetime, cache: _Cache) -> list[Notification | ChatDelivery] | None:
    """Write one Notification per recipient of the event and one ChatDelivery per chat destination
    told of it (each once, however often this runs).

    Scheduled delivery holds each mail for config.mail_window() after the event, so what else happens
    on the request meanwhile goes in the same mail; inline delivery (local mode) sends at once.
    Chat posts are one per event, due at once."""
    if not _claim(e, now):
        return None
    request = cache.request(e.request_id)
    created = []
    if request is not None:
        people = _audience(e, request)
        cache.keep(e, e.request_id, e.event_id)
        for user in people.values():
            cache.keep(user, user.user_id.lower())
        due = now if config.mail_delivery() == "inline" else max(now, e.created_at + config.mail_window())
        for r in recipients(e, request=request, people=people):
            notification = Notification.new(request_id=e.request_id, event_id=e.event_id, recipient_id=r.user_id,
                                            created_at=now, due=due, recipient_name=people[r.user_id].name,
                                            event=e.event, relation=r.relation)
            try:
                notification.save(condition=Notification.pk.does_not_exist())
            except PutError as error:
                if not is_condition_failure(error):
                    raise
                continue  # written by an earlier run that stopped half-way; that run's claim ended
            created.append(notification)
        created += _write_once(chat.deliveries_for(e, request, cache.destinations(), now))
    _finish(e, SENT)
    return created


def _deliver(n: Notification, now: datetime, cache: _Cache) -> tuple[set, Counter]:
    """Send ``n`` together with the recipient's other pending notifications of the request, as
    one mail. Each is claimed by a conditional write first, so none goes twice, and each is
    finished on its own (sent with the same message id, skipped, or left to retry).

    Returns the keys of the notifications handled and the outcomes, counted per notification."""
    outcomes = Counter()
    if not _claim(n, now):
        outcomes["taken"] += 1
        return {(n.pk, n.sk)}, outcomes
    batch = [n]
    told: list[tuple[Notification, MailEvent]] = []
    try:
        batch += [other for other in cache.pending_for(n.request_id, n.recipient_id)
                  if other.sk != n.sk and _claim(other, now, along=True)]
        recipient = cache.user(n.recipient_id)
        request = cache.request(n.request_id)
        for item in batch:
            e = cache.event(item.request_id, item.event_id)
            reason = _skip_reason(item, recipient, request) if e is not None else SKIP_INACTIVE
            if reason:
                _finish(item, SKIPPED, skip_reason=reason)
                log.info("mail skipped", extra={"notification": item.sk, "reason": reason})
                outcomes["skipped"] += 1
            else:
                told.append((item, e))
        if told:
            told.sort(key=lambda pair: (pair[1].created_at, pair[1].event_id))
            message_id = mail.send_notification(told, request=request, recipient=recipient, agency=cache.agency())
    except SendFailed as error:
        for item, _ in told:
            outcome = _failed(item, now, error.code, permanent=error.permanent)
            outcomes[outcome] += 1
            if outcome == "failed" and request is not None:
                _tell_chat_of_failure(item, request, now, cache)
        return {(item.pk, item.sk) for item in batch}, outcomes
    except Exception as error:  # noqa: BLE001 - a bug in rendering must not lose the mail silently
        log.exception("mail could not be prepared", extra={"notification": n.sk})
        for item in batch:
            if item.status == SENDING:
                outcomes[_failed(item, now, type(error).__name__, permanent=False)] += 1
        return {(item.pk, item.sk) for item in batch}, outcomes
    for item, _ in told:
        _finish(item, SENT, sent_to=recipient.email, sent_at=utcnow(), ses_message_id=message_id)
        outcomes["sent"] += 1
    return {(item.pk, item.sk) for item in batch}, outcomes


def _claim(item: MailEvent | Notification, now: datetime, *, along: bool = False) -> bool:
    """Take the item for one attempt, if it is due and nobody else holds it. ``along``: it goes
    in the mail of another notification being sent now, so it is taken while pending even if
    not yet due."""
    model, lease = type(item), now + LEASE
    due = model.status == PENDING if along else (model.status == PENDING) & (model.next_attempt_at <= now)
    try:
        item.update(
            actions=[model.status.set(SENDING), model.lease_until.set(lease), model.attempts.add(1),
                     model.gsi1sk.set(outbox_keys(item, lease)[1])],
            condition=due | ((model.status == SENDING) & (model.lease_until < now)),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def _skip_reason(n: Notification, recipient: User | None, request: Request | None) -> str | None:
    if recipient is None or request is None:
        return SKIP_INACTIVE
    refusal = _refusal(recipient, n.relation, request)
    if refusal:
        return refusal
    suppressed = MailSuppression.find(recipient.email)
    if suppressed is not None:
        return SKIP_COMPLAINT if suppressed.reason == "complaint" else SKIP_BOUNCE
    return None


def _finish(item: MailEvent | Notification, status: str, **values) -> None:
    model = type(item)
    actions = [model.status.set(status), model.lease_until.remove(), model.gsi1pk.remove(), model.gsi1sk.remove()]
    actions += [getattr(model, name).set(value) for name, value in values.items()]
    item.update(actions=actions)


def _failed(n: Notification, now: datetime, code: str, *, permanent: bool) -> str:
    if permanent or n.attempts >= MAX_ATTEMPTS:
        _finish(n, FAILED, last_error=code)
        log.error("mail failed for good", extra={"notification": n.sk, "error": code, "attempts": n.attempts})
        return "failed"
    due = now + RETRY_DELAYS[n.attempts - 1]
    pk, sk = outbox_keys(n, due)
    n.update(actions=[Notification.status.set(PENDING), Notification.next_attempt_at.set(due),
                      Notification.lease_until.remove(), Notification.last_error.set(code),
                      Notification.gsi1pk.set(pk), Notification.gsi1sk.set(sk)])
    log.warning("mail failed, will retry", extra={"notification": n.sk, "error": code, "attempts": n.attempts})
    return "retry"


# Chat posts (services.chat says what each destination gets and what it takes).

def _write_once(deliveries: list[ChatDelivery]) -> list[ChatDelivery]:
    """Save the posts not written yet (by an earlier run that stopped half-way); returns those saved."""
    written = []
    for delivery in deliveries:
        try:
            delivery.save(condition=ChatDelivery.pk.does_not_exist())
        except PutError as error:
            if not is_condition_failure(error):
                raise
            continue
        written.append(delivery)
    return written


def _tell_chat_of_failure(n: Notification, request: Request, now: datetime, cache: _Cache) -> None:
    """A mail that failed for good is posted to the agency destinations that ask for it, at once;
    whatever does not go stays in the outbox. Never stops the mail sender."""
    try:
        for delivery in _write_once(chat.failure_deliveries(n, request, cache.destinations(), now)):
            _post(delivery, now, cache)
    except PynamoDBException:
        log.exception("the chat post of a mail failure was not written", extra={"notification": n.sk})


def _post(d: ChatDelivery, now: datetime, cache: _Cache) -> str:
    """Post one chat delivery, claimed first like a mail. Returns "sent", "retry", "failed",
    "skipped" or "taken"."""
    if not _claim(d, now):
        return "taken"
    destination = next((x for x in cache.destinations() if x.destination_id == d.destination_id), None)
    request = cache.request(d.request_id)
    pk, sk = d.source.split("|", 1)
    try:
        source = Item.get(pk, sk, consistent_read=True)
    except Item.DoesNotExist:
        source = None
    if isinstance(source, MailEvent):
        kinds = chat.event_kinds(source)
    else:
        kinds = {chat.MAIL_FAILED}
    # Checked again as things are now: a destination removed, switched off, or moved to
    # other events since the post was queued gets nothing.
    if destination is None or request is None or source is None or not chat.receives(destination, kinds,
                                                                                       request.company_id):
        _finish(d, SKIPPED, last_error="destination_changed")
        return "skipped"
    try:
        message = chat.event_message(d, source, request, cache.agency()) if isinstance(source, MailEvent) \
            else chat.failure_message(d, source, request)
        outcome = chat.post(destination, message, message_id=f"{d.destination_id}_{d.sk}".replace("#", "_"),
                            at=now)
    except Exception as error:  # noqa: BLE001 - a bug in rendering must not lose the post silently
        log.exception("chat post could not be prepared", extra={"delivery": d.sk})
        outcome = chat.Outcome(chat.RETRY, type(error).__name__)
    if outcome.result == chat.RETRY and d.attempts < MAX_ATTEMPTS:
        delay = max(RETRY_DELAYS[d.attempts - 1], timedelta(seconds=outcome.retry_after or 0))
        due = now + min(delay, timedelta(hours=6))
        d.update(actions=[ChatDelivery.status.set(PENDING), ChatDelivery.next_attempt_at.set(due),
                          ChatDelivery.lease_until.remove(), ChatDelivery.last_error.set(outcome.detail),
                          ChatDelivery.gsi1pk.set(outbox_keys(d, due)[0]), ChatDelivery.gsi1sk.set(outbox_keys(d, due)[1])])
        log.warning("chat post failed, will retry", extra={"delivery": d.sk, "error": outcome.detail[:100],
                                                           "attempts": d.attempts})
        return "retry"
    values = {"answer_status": outcome.status} if outcome.status else {}
    if outcome.result == chat.SENT:
        _finish(d, SENT, sent_at=utcnow(), **values)
    else:
        _finish(d, FAILED, last_error=outcome.detail, **values)
        log.error("chat post failed for good", extra={"delivery": d.sk, "destination": d.destination_id,
                                                      "attempts": d.attempts})
    chat.record(destination, outcome if outcome.result == chat.SENT else
                chat.Outcome(chat.FAILED, outcome.detail, outcome.status), now)
    return "sent" if outcome.result == chat.SENT else "failed"


# What the agency sees and does.

MAIL_SHOWN = 100  # notifications the request page lists (the newest), whatever the request has had


def of_request(actor: User, request: Request) -> list[Notification]:
    """Who was told what about a request, for the agency, oldest first: the newest MAIL_SHOWN
    notifications (one query of a bounded page; a long-lived request does not make its page dearer)."""
    permissions.authorize(actor, permissions.REQUEST_MANAGE, company_id=request.company_id)
    return outbox.newest_of_request(request.request_id, limit=MAIL_SHOWN)


def resend(actor: User, request_id: str, event_id: str, recipient_id: str, *, now: datetime | None = None) -> Notification:
    """再送: put a failed or skipped notification back in the outbox, with fresh attempts."""
    request = Request.find(request_id) if is_id(request_id) else None
    if request is None:
        raise NotFound()
    permissions.authorize(actor, permissions.REQUEST_MANAGE, company_id=request.company_id)
    n = Notification.find(request_id, event_id, recipient_id) if is_id(event_id) else None
    if n is None:
        raise NotFound()
    if n.status not in (FAILED, SKIPPED):
        raise Invalid({"_form": t("mail.resend_not_needed")})
    now = now or utcnow()
    pk, sk = outbox_keys(n, now)
    n.update(actions=[Notification.status.set(PENDING), Notification.attempts.set(0),
                      Notification.next_attempt_at.set(now), Notification.last_error.remove(),
                      Notification.skip_reason.remove(), Notification.gsi1pk.set(pk), Notification.gsi1sk.set(sk)],
             condition=Notification.status.is_in(FAILED, SKIPPED))
    if config.mail_delivery() == "inline":
        deliver([n], now=now)
    return n


# Bounces and complaints (SES -> SNS -> the feedback handler).

def record_feedback(message: Mapping, *, now: datetime | None = None) -> list[str]:
    """Mark the addresses an SES bounce or complaint notice names; returns them.

    Takes both SES formats: event publishing (``eventType``) and identity notifications
    (``notificationType``). Only permanent bounces and complaints stop mail; a transient bounce
    (mailbox full, greylisting) does not.
    """
    now = now or utcnow()
    kind = message.get("eventType") or message.get("notificationType")
    if kind == "Bounce":
        bounce = message.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        marked = [(r.get("emailAddress", ""), r.get("diagnosticCode") or bounce.get("bounceSubType", ""))
                  for r in bounce.get("bouncedRecipients", [])]
        reason = "bounce"
    elif kind == "Complaint":
        complaint = message.get("complaint") or {}
        marked = [(r.get("emailAddress", ""), complaint.get("complaintFeedbackType", ""))
                  for r in complaint.get("complainedRecipients", [])]
        reason = "complaint"
    else:
        return []
    addresses = []
    for address, detail in marked:
        address = _bare_address(address)
        if not address:
            continue
        MailSuppression(*MailSuppression.keys(address), email=address, reason=reason, detail=str(detail)[:500],
                        at=now).save()
        addresses.append(address)
    return addresses


def _bare_address(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1].strip().lower()


def save_preferences(actor: User, *, enabled: bool) -> None:
    """The person's own choice. A client: mail about requests they only follow (依頼関係者). Staff:
    mail about requests nobody is assigned to (new requests and their comments)."""
    permissions.authorize(actor, permissions.MAIL_PREFERENCES, company_id=actor.company_id)
    attribute = User.mail_unassigned if actor.is_agency else User.mail_following
    actor.update(actions=[attribute.set(enabled)])
