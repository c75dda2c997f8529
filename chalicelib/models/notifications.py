"""The mail outbox, and the addresses SES told us to stop using.

A change that people must hear about writes one MailEvent in its own transaction, so a change is
never stored without its mail, nor mail queued for a change that failed. The sender turns each
event into one Notification per recipient, keyed by event and recipient, so the same mail can
never be queued twice. A request's events and notifications share one partition (the agency's
view of who was told what is one query); what is still to be done is also in GSI1 under
``OUTBOX``, ordered by when it is due, and leaves it once done.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item

OUTBOX = "OUTBOX"

PENDING = "pending"   # waiting for its first or next attempt
SENDING = "sending"   # claimed by a sender until lease_until
SENT = "sent"
FAILED = "failed"     # every attempt failed; shown to the agency on the request
SKIPPED = "skipped"   # not sent on purpose (e.g. the address bounced); shown with the reason


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


class MailEvent(Item, discriminator="MailEvent"):
    """Something people must be told about, written in the transaction of the change itself (one
    item, however many people are told). The sender turns it into one Notification per recipient.
    It keeps what happened as it was then: mails are rendered from it, never from later data."""

    request_id = UnicodeAttribute()
    event_id = UnicodeAttribute()      # the thread entry recording the event (the request for 新規依頼)
    # "created", "comment", "status", "assigned" (services.notifications), "estimate" or
    # "estimate_answer" (services.estimates); messages.MAIL_EVENT_LABELS names them.
    event = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute()
    actor_side = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)    # for "assigned": who was made 担当者
    body = UnicodeAttribute(default="")          # the comment or the request's text; never a 社内メモ
    old_value = UnicodeAttribute(null=True)
    new_value = UnicodeAttribute(null=True)
    file_names = ListAttribute(of=UnicodeAttribute, default=list)
    # For a status change to 完了 that charged points: what was charged and, as the balance stood
    # right after, what is left (prepaid) or the month's usage (metered contracts), in tenths.
    charged_tenths = NumberAttribute(null=True)
    left_tenths = NumberAttribute(null=True)
    usage_tenths = NumberAttribute(null=True)
    usage_month = UnicodeAttribute(null=True)    # "YYYY-MM" of usage_tenths
    created_at = UTCDateTimeAttribute()
    # PENDING until the sender has written its notifications, then SENT.
    status = UnicodeAttribute(default=PENDING)
    attempts = NumberAttribute(default=0)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(request_id: str, event_id: str) -> tuple[str, str]:
        return f"MAIL#{request_id}", f"EVENT#{event_id}"

    @classmethod
    def new(cls, *, request_id: str, event_id: str, created_at: datetime, **attributes) -> "MailEvent":
        item = cls(*cls.keys(request_id, event_id), request_id=request_id, event_id=event_id,
                   created_at=created_at, next_attempt_at=created_at, **attributes)
        item.gsi1pk, item.gsi1sk = outbox_keys(item, created_at)
        return item


class Notification(Item, discriminator="Notification"):
    """One e-mail to one person about one MailEvent, and how sending it went."""

    request_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event = UnicodeAttribute()
    recipient_id = UnicodeAttribute()
    recipient_name = UnicodeAttribute(default="")
    relation = UnicodeAttribute()      # why they are told: "staff", "assignee", "requester" or "participant"
    created_at = UTCDateTimeAttribute()
    status = UnicodeAttribute(default=PENDING)
    attempts = NumberAttribute(default=0)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    skip_reason = UnicodeAttribute(null=True)
    sent_to = UnicodeAttribute(null=True)        # the address it went to
    sent_at = UTCDateTimeAttribute(null=True)
    ses_message_id = UnicodeAttribute(null=True)

    @staticmethod
    def keys(request_id: str, event_id: str, recipient_id: str) -> tuple[str, str]:
        return f"MAIL#{request_id}", f"{event_id}#{recipient_id.lower()}"

    @classmethod
    def new(cls, *, request_id: str, event_id: str, recipient_id: str, created_at: datetime,
            due: datetime | None = None, **attributes) -> "Notification":
        """A notification first due at ``due`` (default: at once)."""
        due = due or created_at
        item = cls(*cls.keys(request_id, event_id, recipient_id), request_id=request_id, event_id=event_id,
                   recipient_id=recipient_id, created_at=created_at, next_attempt_at=due, **attributes)
        item.gsi1pk, item.gsi1sk = outbox_keys(item, due)
        return item


def outbox_keys(item: Item, due: datetime) -> tuple[str, str]:
    """GSI1 keys that list ``item`` in the outbox as due at ``due``."""
    return OUTBOX, f"{_stamp(due)}#{item.pk}#{item.sk}"


def of_request(request_id: str) -> tuple[list[MailEvent], list[Notification]]:
    """The mail events and notifications of a request, oldest first (one query)."""
    events, notifications = [], []
    for item in Item.query(f"MAIL#{request_id}", consistent_read=True):
        if isinstance(item, MailEvent):
            events.append(item)
        elif isinstance(item, Notification):
            notifications.append(item)
    return events, notifications


def newest_of_request(request_id: str, *, limit: int) -> list[Notification]:
    """The newest ``limit`` notifications of a request, oldest first (one query). Their sort keys
    start with the event's ID (a ULID, "0"... for centuries), which sorts before the events' "EVENT#"."""
    found = list(Item.query(f"MAIL#{request_id}", Item.sk < "EVENT#", scan_index_forward=False, limit=limit,
                            consistent_read=True))
    return [item for item in reversed(found) if isinstance(item, Notification)]


def due(now: datetime, *, limit: int) -> list[MailEvent | Notification]:
    """Outbox items whose next attempt (or expired claim) is due by ``now``, oldest first."""
    return list(Item.gsi1.query(OUTBOX, Item.gsi1sk <= f"{_stamp(now)}#~", limit=limit))


class MailSuppression(Item, discriminator="MailSuppression"):
    """An address SES reported as bouncing for good or complaining: no more mail goes to it."""

    email = UnicodeAttribute()
    reason = UnicodeAttribute()          # "bounce" or "complaint"
    detail = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()

    @staticmethod
    def keys(email: str) -> tuple[str, str]:
        return f"MAILTO#{email.strip().lower()}", "SUPPRESSED"
