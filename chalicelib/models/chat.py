"""Chat destinations (Teams, Slack, Google Chat, Chatwork, a signed webhook) and the posts to them.

``CHAT`` / ``DEST#<owner>#<id>``: every destination in one partition (one query per sender run
and per settings page; there are a few dozen at most). ``owner`` is ``AGENCY`` for the agency's
own channels, else the company whose admin added it; an agency destination may be limited to one
company (``company_id``).

A post is a ChatDelivery in ``CHATLOG#<destination>``, keyed by the outbox item it comes from, so
the same event is never queued twice for one destination, and the destination's page lists its
newest posts with one query. It is due in GSI1 ``OUTBOX`` as mail is (models.notifications), and
leaves it once done.
"""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item
from chalicelib.models.notifications import PENDING, outbox_keys

AGENCY_OWNER = "AGENCY"
DESTINATIONS_MAX = 50   # per owner; the partition stays one page


class ChatDestination(Item, discriminator="ChatDestination"):
    destination_id = UnicodeAttribute()
    owner = UnicodeAttribute()                    # AGENCY_OWNER or a company ID
    company_id = UnicodeAttribute(null=True)      # only this company's events (always set for a company's own)
    name = UnicodeAttribute()
    service = UnicodeAttribute()                  # services.chat.SERVICES
    url = UnicodeAttribute(default="")            # the webhook URL (never shown back in full)
    token = UnicodeAttribute(default="")          # Chatwork's API token (never shown back)
    room_id = UnicodeAttribute(default="")        # Chatwork's room
    secret = UnicodeAttribute(default="")         # the signing secret of a generic webhook (shown once)
    events = ListAttribute(of=UnicodeAttribute, default=list)   # services.chat.EVENTS
    active = UnicodeAttribute(default="1")        # "1" or "0"
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(default="")
    last_status = UnicodeAttribute(null=True)     # "sent" or "failed": the newest post's outcome
    last_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)

    @staticmethod
    def keys(owner: str, destination_id: str) -> tuple[str, str]:
        return "CHAT", f"DEST#{owner}#{destination_id}"

    @classmethod
    def all(cls) -> list["ChatDestination"]:
        return [item for item in Item.query("CHAT", Item.sk.startswith("DEST#"), consistent_read=True)
                if isinstance(item, ChatDestination)]


class ChatDelivery(Item, discriminator="ChatDelivery"):
    """One post of one event to one destination, and how it went."""

    destination_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    request_id = UnicodeAttribute()
    event_id = UnicodeAttribute()                 # the MailEvent's (or, for a mail failure, its notification's)
    event = UnicodeAttribute()                    # services.chat.EVENTS
    source = UnicodeAttribute()                   # the item it was made from: "pk|sk"
    created_at = UTCDateTimeAttribute()
    status = UnicodeAttribute(default=PENDING)
    attempts = NumberAttribute(default=0)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    answer_status = NumberAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(destination_id: str, key: str) -> tuple[str, str]:
        return f"CHATLOG#{destination_id}", key

    @classmethod
    def new(cls, *, destination: ChatDestination, key: str, created_at, **attributes) -> "ChatDelivery":
        item = cls(*cls.keys(destination.destination_id, key), destination_id=destination.destination_id,
                   owner=destination.owner, created_at=created_at, next_attempt_at=created_at, **attributes)
        item.gsi1pk, item.gsi1sk = outbox_keys(item, created_at)
        return item

    @classmethod
    def newest(cls, destination_id: str, *, limit: int) -> list["ChatDelivery"]:
        return [item for item in Item.query(f"CHATLOG#{destination_id}", scan_index_forward=False, limit=limit,
                                            consistent_read=True) if isinstance(item, ChatDelivery)]
