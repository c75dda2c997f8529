"""Requests (依頼) and their thread. A request and everything in its thread share one partition,
so the progress screen is one query; the request item carries the index keys of the lists."""
from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import UpdateError
from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item, is_condition_failure
from chalicelib.models.ids import new_id

INBOX = "INBOX"

# A request's statuses. They are the model's: the company index sorts a company's requests by
# status group (STATUS_ORDER, open ones first), so the order is part of the key the model
# computes. services.workflow says who may move a request from one to another.
NEW = "new"                  # 新規: filed, not yet taken
IN_PROGRESS = "in_progress"  # 対応中: the agency is working on it
WAITING = "waiting"          # 確認待ち: the agency asks the client to check or answer
DONE = "done"                # 完了
ON_HOLD = "on_hold"          # 保留
WITHDRAWN = "withdrawn"      # 取り下げ: withdrawn by the client
STATUS_ORDER = {WAITING: "1", NEW: "2", IN_PROGRESS: "3", ON_HOLD: "4", DONE: "5", WITHDRAWN: "6"}


def company_requests_partition(company_id: str) -> str:
    return f"CREQ#{company_id}"


class Request(Item, discriminator="Request"):
    request_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    company_name = UnicodeAttribute()
    number = NumberAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    status = UnicodeAttribute()  # one of STATUS_ORDER
    due_date = UnicodeAttribute(null=True)  # 公開希望日, ISO date
    requester_id = UnicodeAttribute()
    requester_name = UnicodeAttribute()
    participant_ids = ListAttribute(of=UnicodeAttribute, default=list)  # 依頼関係者
    assignee_id = UnicodeAttribute(null=True)  # 担当者
    assignee_name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_activity_at = UTCDateTimeAttribute()
    # When the thread last gained a change of each kind both sides see (コメント, 見積, 状態), so a
    # list says what changed since its reader last looked without reading the thread. Requests
    # older than these have none: their lists say only that something changed.
    commented_at = UTCDateTimeAttribute(null=True)
    estimated_at = UTCDateTimeAttribute(null=True)
    status_changed_at = UTCDateTimeAttribute(null=True)
    # True while the latest comment is the client's: the agency owes an answer.
    awaiting_agency = BooleanAttribute(default=True)
    # Compared on every edit (optimistic locking); comments do not bump it, so they never conflict.
    # ``revision`` counts every save, 社内メモ included: the agency's check. ``shared_revision``
    # counts only the saves a client can see: what a client reads and sends back, so a client can
    # neither count internal memos nor be refused because of one. policy.revision decides which a
    # viewer gets. Items saved before it existed have none: their ``revision`` stands for it.
    revision = NumberAttribute(default=0)
    shared_revision = NumberAttribute(null=True)
    # When it last became 完了, and for how many days from then its client may reopen it (the
    # agency's setting at that moment, so the period a client was promised never changes under
    # it). Requests completed before these existed have none: only the agency reopens those.
    completed_at = UTCDateTimeAttribute(null=True)
    reopen_days = NumberAttribute(null=True)
    # When the agency first answered in the thread (a comment, a status change or a 見積 the
    # client sees; never a 社内メモ), set once: the 月次保守レポート's time to first answer.
    # Requests answered before it existed have none (the report says they were not measured).
    first_answered_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(request_id: str) -> tuple[str, str]:
        return f"REQ#{request_id}", "REQUEST"

    @classmethod
    def new(cls, **attributes) -> "Request":
        request_id = new_id()
        request = cls(*cls.keys(request_id), request_id=request_id, **attributes)
        request.reindex()
        return request

    def reindex(self) -> None:
        """Index keys from status and activity: call after changing either."""
        activity = self.last_activity_at.strftime("%Y-%m-%dT%H:%M:%S.%f")
        self.gsi1pk = company_requests_partition(self.company_id)
        self.gsi1sk = f"{STATUS_ORDER[self.status]}#{activity}#{self.request_id}"
        self.gsi2pk = INBOX
        self.gsi2sk = f"{activity}#{self.request_id}"

    @property
    def client_revision(self) -> int:
        """The revision a client sees (``shared_revision``, or ``revision`` on an older item)."""
        return int(self.revision if self.shared_revision is None else self.shared_revision)

    @classmethod
    def revision_is(cls, revision: int, *, shared: bool):
        """The write condition "nobody saved since ``revision``": any save (``shared`` False), or
        any save a client can see (``shared`` True; an older item compares its ``revision``)."""
        if not shared:
            return cls.revision == revision
        return (cls.shared_revision == revision) | (cls.shared_revision.does_not_exist() & (cls.revision == revision))

    @property
    def due(self) -> date | None:
        return date.fromisoformat(self.due_date) if self.due_date else None


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def open_of_company(company_id: str, *, limit: int = 1000) -> list[Request]:
    """The company's open requests (one query: the lowest ranges of its index partition)."""
    return list(Request.gsi1.query(company_requests_partition(company_id), Request.gsi1sk < _CLOSED_FROM,
                                   limit=limit))


def done_of_company_since(company_id: str, since: datetime, *, limit: int = 1000) -> list[Request]:
    """The company's 完了 requests last active at or after ``since`` (one query): every request
    completed since then is among them, since completing is activity."""
    prefix = STATUS_ORDER[DONE]
    return list(Request.gsi1.query(company_requests_partition(company_id),
                                   Request.gsi1sk.between(f"{prefix}#{_stamp(since)}", f"{prefix}#~"), limit=limit))


def request_items(request_id: str):
    """Every item of a request's partition (the request, its thread, files, estimate and charge
    mark) in one strongly consistent query, typed by their discriminator."""
    return Item.query(Request.keys(request_id)[0], consistent_read=True)


class ThreadEntry(Item, discriminator="ThreadEntry"):
    """One line of a request's thread: a comment, an internal memo, or a change (old -> new)."""

    request_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    entry_kind = UnicodeAttribute()  # "comment", "memo" or "change"
    side = UnicodeAttribute()  # "client" or "agency"
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    body = UnicodeAttribute(default="")
    # For changes: status, assignee, due_date, participants (update_request), estimate and
    # estimate_state (services.estimates), points (the charge at 完了); messages.CHANGE_LABELS names them.
    field = UnicodeAttribute(null=True)
    old_value = UnicodeAttribute(null=True)
    new_value = UnicodeAttribute(null=True)

    @staticmethod
    def keys(request_id: str, entry_id: str) -> tuple[str, str]:
        return f"REQ#{request_id}", f"T#{entry_id}"

    @classmethod
    def new(cls, *, request_id: str, **attributes) -> "ThreadEntry":
        entry_id = new_id()
        return cls(*cls.keys(request_id, entry_id), request_id=request_id, entry_id=entry_id, **attributes)

    @property
    def internal(self) -> bool:
        """社内メモ never reach a client: not in HTML, JSON or mail."""
        return self.entry_kind == "memo"


# Open statuses sort first in the company index, so its keys below this are the open requests.
_CLOSED_FROM = min(STATUS_ORDER[DONE], STATUS_ORDER[WITHDRAWN])
assert all(order < _CLOSED_FROM for status, order in STATUS_ORDER.items() if status not in (DONE, WITHDRAWN))


class OpenCount(Item, discriminator="OpenCount"):
    """How many of a company's requests are open, for the agency's クライアント管理 without a
    query per company. Every transaction that files a request or moves it between open and
    closed adds to it (``delta``); ``counted`` says a full count set it once, since an item
    made by those additions alone counts only what changed after it began to be kept."""

    company_id = UnicodeAttribute()
    count = NumberAttribute(default=0)
    counted = BooleanAttribute(default=False)

    @staticmethod
    def keys(company_id: str) -> tuple[str, str]:
        return f"COMPANY#{company_id}", "OPEN_REQUESTS"

    @classmethod
    def delta(cls, company_id: str, change: int) -> tuple["OpenCount", list]:
        """The item and the actions adding ``change`` to it (made if missing), for a transaction."""
        return cls(*cls.keys(company_id)), [cls.count.add(change), cls.company_id.set(company_id)]

    @classmethod
    def recount(cls, company_id: str, seen: "OpenCount | None") -> int:
        """Count the company's open requests from its index and keep that, unless a request
        moved since ``seen`` was read (then the next reader counts again). Returns the count."""
        found = Request.gsi1.count(company_requests_partition(company_id), Request.gsi1sk < _CLOSED_FROM)
        item = cls(*cls.keys(company_id))
        unchanged = cls.count.does_not_exist() if seen is None else cls.count == seen.count
        try:
            item.update(actions=[cls.count.set(found), cls.counted.set(True), cls.company_id.set(company_id)],
                        condition=unchanged)
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
        return found


class Seen(Item, discriminator="Seen"):
    """When a user last opened a request, to mark what changed since."""

    user_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    seen_at = UTCDateTimeAttribute()

    @staticmethod
    def keys(user_id: str, request_id: str) -> tuple[str, str]:
        return f"USER#{user_id.lower()}", f"SEEN#{request_id}"

    @classmethod
    def mark(cls, user_id: str, request_id: str, at: datetime) -> None:
        cls(*cls.keys(user_id, request_id), user_id=user_id, request_id=request_id, seen_at=at).save()
