"""Requests (依頼) and their conversation: filing, commenting and every change.

``update_request`` applies every change to a request and writes each one (old -> new) into the
thread, so the thread is also the audit trail. This module is the only writer of thread entries
and of a request's list keys; another service that changes something on a request (an estimate)
adds its events through ``activity``. Reading (the progress screen, the lists) is
services.listings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from pynamodb.exceptions import TransactWriteError

from chalicelib.messages import t
from chalicelib.models.base import TransactionFailed, transact
from chalicelib.models.companies import Company
from chalicelib.models.ids import is_id
from chalicelib.models.requests import OpenCount, Request, Seen, ThreadEntry
from chalicelib.models.users import STAFF_KEPT, User, company_members
from chalicelib.services import (agency, attachments, audit, ledger, listings, notifications, permissions, policy,
                                 pointrules, search, submissions, workflow)
from chalicelib.services import validation as v
from chalicelib.clock import today_in_japan, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound

TITLE_MAX = 100
BODY_MAX = 10_000
COMMENT_MAX = 10_000


def side_of(user: User) -> str:
    return workflow.AGENCY if user.is_agency else workflow.CLIENT


def _text(errors: dict, name: str, value: str, *, maximum: int, single_line: bool = False) -> str:
    # Checked as typed: the forms' maxlength counts surrounding spaces and line breaks too.
    return v.text(errors, name, value, maximum=maximum, single_line=single_line, as_typed=True,
                  line_message="request.single_line")


def _due_date(errors: dict, raw: str, today: date) -> str | None:
    """公開希望日: optional, never before ``today`` (ISO text, or None)."""
    due = v.iso_date(errors, "due_date", raw, not_before=today)
    return due.isoformat() if due else None


@dataclass
class RequestForm:
    """The 新規依頼 form as typed, so a refused form keeps everything."""

    title: str = ""
    body: str = ""
    due_date: str = ""
    participant_ids: list[str] = field(default_factory=list)
    upload_ids: list[str] = field(default_factory=list)  # 添付ファイル and 画面メモ already uploaded
    submission_id: str = ""  # the form's one-time key: sending it again files nothing twice


def participant_choices(actor: User, *, fresh: bool = False) -> list[User]:
    """依頼関係者 a client can pick: the other active accounts of its company. Pages show this
    container's copy of the company's accounts (at most a minute old, forgotten when an account is
    written here); checking a submitted choice reads them (``fresh``)."""
    if actor.company_id is None:
        return []
    members = User.members(actor.company_id) if fresh else company_members(actor.company_id)
    return [u for u in members if u.active and u.user_id != actor.user_id]


def _checked_participants(errors: dict, chosen: list[str], choices: list[User]) -> list[str]:
    allowed = {u.user_id for u in choices}
    unique = list(dict.fromkeys(chosen))
    if not set(unique) <= allowed:
        errors["participant_ids"] = t("request.participant_unknown")
        return []
    return unique


def create_request(actor: User, form: RequestForm, *, now: datetime | None = None) -> Request:
    """新規依頼: file a request for the actor's own company and give it the next number.

    Raises Invalid with field errors (nothing is stored), Forbidden for the agency, Conflict
    when DynamoDB refused the write and nothing was stored (the same form may be sent again).
    """
    permissions.authorize(actor, permissions.REQUEST_CREATE, company_id=actor.company_id)
    now = now or utcnow()
    earlier = submissions.stored(actor, form.submission_id)
    if earlier is not None:
        return load(actor, earlier.request_id, permissions.REQUEST_VIEW)
    errors: dict[str, str] = {}
    title = _text(errors, "title", form.title, maximum=TITLE_MAX, single_line=True)
    body = _text(errors, "body", form.body, maximum=BODY_MAX)
    due = _due_date(errors, form.due_date, today_in_japan())
    participants = _checked_participants(errors, form.participant_ids, participant_choices(actor, fresh=True))
    uploads = []
    if not errors:
        try:
            uploads = attachments.check_uploads(actor, form.upload_ids, request_id=None)
        except Invalid as refused:
            errors.update(refused.errors)
    if errors:
        raise Invalid(errors)
    company = Company.find(actor.company_id)
    if company is None:
        raise NotFound()
    number = Company.next_request_number(company.company_id)
    request = Request.new(
        company_id=company.company_id, company_name=company.name, number=number, title=title, body=body,
        status=workflow.NEW, due_date=due, requester_id=actor.user_id, requester_name=actor.name,
        participant_ids=participants, created_at=now, last_activity_at=now, awaiting_agency=True,
    )
    told = notifications.event(notifications.CREATED, request=request, actor=actor, event_id=request.request_id,
                               at=now, body=body, file_names=[upload.name for upload in uploads])

    marker = submissions.marker(actor, form.submission_id, request.request_id, None, now)

    def write(tx):
        tx.save(request, condition=Request.pk.does_not_exist(), label="request")
        tx.save(told, label="mail")
        tx.update(*OpenCount.delta(request.company_id, 1), label="open_count")
        submissions.write(tx, marker)

    try:
        transact(write)
    except TransactWriteError:
        # Already stored: the form came twice at once, or botocore retried this very transaction after
        # its answer was lost (then it is ours, and what follows the write must still happen).
        earlier = submissions.stored(actor, marker.key)
        if earlier is None:
            # Not ours and nothing stored (DynamoDB kept cancelling it for concurrent writes):
            # a conflict the form answers with everything kept, to be sent again.
            raise Conflict("request not stored") from None
        if earlier.request_id != request.request_id:
            return load(actor, earlier.request_id, permissions.REQUEST_VIEW)
    attachments.attach(uploads, request, actor, now=now)
    search.request_filed(request)  # idempotent follow-up: ops/index_search.py repairs a lost one
    Seen.mark(actor.user_id, request.request_id, now)
    notifications.after_commit([told])
    return request


def load(actor: User, request_id: str, action: str) -> Request:
    """The request, if ``actor`` may do ``action`` to it (NotFound for another company's or a bad id)."""
    request = Request.find(request_id) if is_id(request_id) else None
    if request is None:
        raise NotFound()
    permissions.authorize(actor, action, company_id=request.company_id)
    return request


def add_comment(actor: User, request_id: str, body: str, *, upload_ids: list[str] | None = None,
                submission_id: str = "", now: datetime | None = None) -> ThreadEntry:
    """コメント追加 (with its 添付ファイル and 画面メモ). Comments never conflict with each other or
    with edits. A comment may be only files: the text is then optional. A ``submission_id`` sent
    again returns the comment it stored the first time instead of a second copy."""
    now = now or utcnow()
    request = load(actor, request_id, permissions.REQUEST_COMMENT)  # another company's: NotFound first
    earlier = submissions.stored(actor, submission_id)
    if earlier is not None:
        if earlier.request_id == request.request_id:
            return _stored_comment(request.request_id, earlier.entry_id)
        submission_id = ""  # a key already used on another request: this is a new comment
    policy.require(actor, policy.COMMENT, request)
    errors: dict[str, str] = {}
    uploads = []
    try:
        uploads = attachments.check_uploads(actor, upload_ids or [], request_id=request.request_id)
    except Invalid as refused:
        errors.update(refused.errors)
    if body.strip() or not uploads:
        body = _text(errors, "body", body, maximum=COMMENT_MAX)
    if errors:
        raise Invalid(errors)
    side = side_of(actor)
    entry = ThreadEntry.new(request_id=request.request_id, entry_kind="comment", side=side, author_id=actor.user_id,
                            author_name=actor.name, at=now, body=body)
    request.last_activity_at = now
    request.reindex()
    told = notifications.event(notifications.COMMENT, request=request, actor=actor, event_id=entry.entry_id,
                               at=now, body=body, file_names=[upload.name for upload in uploads])

    def write(tx):
        tx.save(entry, label="thread")
        tx.save(told, label="mail")
        tx.update(request, _moved_up(request, now, [entry], awaiting_agency=side == workflow.CLIENT),
                  condition=Request.pk.exists(), label="request")
        submissions.write(tx, marker)

    marker = submissions.marker(actor, submission_id, request.request_id, entry.entry_id, now)
    try:
        transact(write)
    except TransactWriteError:
        earlier = submissions.stored(actor, marker.key)  # as for new requests
        if earlier is None or earlier.request_id != request.request_id:
            raise Conflict("comment not stored") from None
        if earlier.entry_id != entry.entry_id:
            return _stored_comment(request.request_id, earlier.entry_id)
    entry.files = attachments.attach(uploads, request, actor, entry_id=entry.entry_id, now=now)
    search.comment_added(request, entry)
    Seen.mark(actor.user_id, request.request_id, now)
    notifications.after_commit([told])
    return entry


def _stored_comment(request_id: str, entry_id: str) -> ThreadEntry:
    entry = ThreadEntry.find(request_id, entry_id)
    entry.files = []  # the thread page shows its files; the caller only needs the entry itself
    return entry


def _moved_up(request: Request, now: datetime, entries: list[ThreadEntry], *, awaiting_agency: bool) -> list:
    """The actions that move the request up both sides' lists, as any new thread entry does, and
    stamp the kinds of change ``entries`` are."""
    request.last_activity_at = now
    request.reindex()
    return [Request.last_activity_at.set(now), Request.awaiting_agency.set(awaiting_agency),
            Request.gsi1sk.set(request.gsi1sk), Request.gsi2sk.set(request.gsi2sk), *_stamps(request, entries, now)]


# The kind each thread entry is for the lists' 更新あり (its kind of entry, or a change's field):
# the time of the last one of each kind is kept on the request (listings.changed_kinds reads it).
# 社内メモ and the other fields (担当者, 公開希望日, 依頼関係者) stamp nothing: a list then says only
# that something changed.
_KIND_STAMPS = {"comment": Request.commented_at, "estimate": Request.estimated_at,
                "estimate_state": Request.estimated_at, "status": Request.status_changed_at,
                "reopen": Request.status_changed_at, "points": Request.status_changed_at}


def _stamps(request: Request, entries: list[ThreadEntry], now: datetime) -> list:
    """The actions setting, on ``request`` and in the table, the time of each kind ``entries`` hold."""
    stamped = {}
    for entry in entries:
        attribute = _KIND_STAMPS.get(entry.field if entry.entry_kind == "change" else entry.entry_kind)
        if attribute is not None:
            stamped[attribute.attr_name] = attribute
    for name in stamped:
        setattr(request, name, now)
    actions = [attribute.set(now) for attribute in stamped.values()]
    if stamped and any(entry.side == workflow.AGENCY for entry in entries):
        # The agency's first answer the client sees: kept once (if_not_exists), for the report.
        request.first_answered_at = request.first_answered_at or now
        actions.append(Request.first_answered_at.set(Request.first_answered_at | now))
    return actions


@dataclass
class Activity:
    """Thread entries of a change made by another service (an estimate, its answer) and the
    request moving up the lists, for that service's transaction. This module writes them, so the
    thread (the audit trail) and the request's list keys have one writer."""

    request: Request
    entries: list[ThreadEntry]
    side: str
    now: datetime

    def write(self, tx) -> None:
        """The entries (label ``thread``) and the request's update (label ``request``: it must exist)."""
        for entry in self.entries:
            tx.save(entry, label="thread")
        tx.update(self.request, _moved_up(self.request, self.now, self.entries,
                                          awaiting_agency=self.side == workflow.CLIENT),
                  condition=Request.pk.exists(), label="request")


def activity(actor: User, request: Request, *, side: str, now: datetime,
             changes: list[tuple[str, str, str]], comment: str = "") -> Activity:
    """What ``actor`` did to ``request`` elsewhere, as thread entries: one change per (field, old,
    new) and an optional comment. Nothing is written until ``Activity.write`` joins a transaction."""
    entries = _entries(actor, request, side=side, now=now, changes=changes, note_kind="comment", note=comment)
    return Activity(request=request, entries=entries, side=side, now=now)


def _entries(actor: User, request: Request, *, side: str, now: datetime, changes: list[tuple[str, str, str]],
             note_kind: str, note: str) -> list[ThreadEntry]:
    """One thread entry per (field, old, new) change, then the note (a comment or a 社内メモ) if any."""
    entries = [ThreadEntry.new(request_id=request.request_id, entry_kind="change", side=side, author_id=actor.user_id,
                               author_name=actor.name, at=now, field=name, old_value=old, new_value=new)
               for name, old, new in changes]
    if note:
        entries.append(ThreadEntry.new(request_id=request.request_id, entry_kind=note_kind, side=side,
                                       author_id=actor.user_id, author_name=actor.name, at=now, body=note))
    return entries


UNCHANGED = object()


@dataclass
class RequestChanges:
    """What one save changes; fields left UNCHANGED are not touched."""

    status: object = UNCHANGED
    assignee_id: object = UNCHANGED       # a staff user ID, or "" for nobody
    due_date: object = UNCHANGED          # ISO date text, or "" for none
    participant_ids: object = UNCHANGED   # list of user IDs
    memo: str = ""                        # 社内メモ, added to the thread


def update_request(actor: User, request_id: str, changes: RequestChanges, *, revision: int,
                   now: datetime | None = None, action: str = permissions.REQUEST_VIEW) -> Request:
    """Apply every change of one save and write each as an event (who, when, old -> new).

    Raises Invalid (field errors), Forbidden (the role may not change that), NotFound, and
    Conflict when someone saved the request since ``revision`` (nothing is overwritten).
    """
    now = now or utcnow()
    # The charge at 完了 is conditioned on the balance as read; another write to the balance (a
    # concurrent charge or チャージ) makes it read again, never charge twice or lose one.
    for _ in range(ledger.POST_ATTEMPTS):
        try:
            return _update_once(actor, request_id, changes, revision=revision, now=now, action=action)
        except ledger.BalanceMoved:
            continue
    raise Conflict("balance kept changing")


def _update_once(actor: User, request_id: str, changes: RequestChanges, *, revision: int, now: datetime,
                 action: str) -> Request:
    request = load(actor, request_id, action)
    # Asking to set a field needs its permission, whether or not the value differs.
    managed = (changes.assignee_id, changes.due_date)
    if any(value is not UNCHANGED for value in managed) or changes.memo.strip():
        permissions.authorize(actor, permissions.REQUEST_MANAGE, company_id=request.company_id)
    if changes.participant_ids is not UNCHANGED:
        policy.require(actor, policy.PARTICIPANTS, request)
    side = side_of(actor)
    plan: ledger.ChargePlan | None = None
    errors: dict[str, str] = {}
    events: list[tuple[str, str, str]] = []  # (field, old, new)
    actions = []

    was_open = request.status in workflow.OPEN
    if changes.status is not UNCHANGED and changes.status != request.status:
        new_status = str(changes.status)
        # 再開 by any route (the button, the panel's select, the API) is asked of the policy: who
        # may, and for a client until when.
        reopening = workflow.is_reopening(request.status, new_status)
        check = ledger.StatusCheck()
        if workflow.allowed(side, request.status, new_status):
            check = ledger.check_status_change(request, new_status, now=now, side=side, actor_name=actor.name)
        if not workflow.allowed(side, request.status, new_status):
            errors["status"] = t("request.status_denied")
        elif reopening and not _may_reopen(actor, request, errors):
            pass
        elif check.error:
            errors["status"] = check.error
        else:
            plan = check.plan
            events.append(("reopen" if reopening else "status", workflow.LABELS[request.status],
                           workflow.LABELS[new_status]))
            request.status = new_status
            actions.append(Request.status.set(request.status))
            if new_status == workflow.DONE:
                # The client's period to reopen runs from here, as the agency set it now.
                days = int(agency.settings().client_reopen_days)
                request.completed_at, request.reopen_days = now, days
                actions += [Request.completed_at.set(now), Request.reopen_days.set(days)]
    if changes.assignee_id is not UNCHANGED and (changes.assignee_id or None) != request.assignee_id:
        assignee = _assignee(str(changes.assignee_id)) if changes.assignee_id else None
        if changes.assignee_id and assignee is None:
            errors["assignee_id"] = t("request.assignee_unknown")
        else:
            nobody = t("request.nobody")
            events.append(("assignee", request.assignee_name or nobody, assignee.name if assignee else nobody))
            request.assignee_id, request.assignee_name = (assignee.user_id, assignee.name) if assignee else (None, None)
            actions += [Request.assignee_id.set(assignee.user_id) if assignee else Request.assignee_id.remove(),
                        Request.assignee_name.set(assignee.name) if assignee else Request.assignee_name.remove()]
    if changes.due_date is not UNCHANGED and (changes.due_date or None) != request.due_date:
        due = _due_date(errors, str(changes.due_date), today_in_japan())
        if "due_date" not in errors:
            none = t("request.no_due_date")
            events.append(("due_date", request.due_date or none, due or none))
            actions.append(Request.due_date.set(due) if due else Request.due_date.remove())
    if changes.participant_ids is not UNCHANGED and list(changes.participant_ids) != list(request.participant_ids):
        choices = [u for u in User.members(request.company_id) if u.active and u.user_id != request.requester_id]
        chosen = _checked_participants(errors, list(changes.participant_ids), choices)
        if "participant_ids" not in errors:
            names = listings.users_by_id([*request.participant_ids, *chosen])
            label = lambda ids: (t("request.name_separator").join(names[i].name for i in ids if i in names)  # noqa: E731
                                 or t("request.no_participants"))
            events.append(("participants", label(request.participant_ids), label(chosen)))
            actions.append(Request.participant_ids.set(chosen))
    memo = changes.memo.strip()
    if len(memo) > COMMENT_MAX:
        errors["memo"] = t("too_long", max=COMMENT_MAX)
    if errors:
        raise Invalid(errors)
    request.changed_fields = [name for name, _, _ in events]  # for the caller's message, not stored
    if not events and not memo:
        return request

    if policy.revision(actor, request) != revision:
        # Stale already as read; refused here too, so the counters set below are never derived
        # from an item older than the one the condition accepts.
        raise Conflict("request changed meanwhile")
    entries = _entries(actor, request, side=side, now=now, changes=events, note_kind="memo", note=memo)
    if plan is not None:  # the points are charged in the transaction that completes the request
        entries.append(ThreadEntry.new(request_id=request.request_id, entry_kind="change", side=side,
                                       author_id=actor.user_id, author_name=actor.name, at=now, field="points",
                                       old_value="", new_value=plan.thread_text))
    if events:  # a memo alone is internal: it does not move the request up the client's lists
        request.last_activity_at = now
        actions.append(Request.last_activity_at.set(now))
        actions += _stamps(request, entries, now)
    request.reindex()
    # Every save moves ``revision``; only what a client can see moves ``shared_revision`` (set, not
    # added, so an older item without it starts from its revision). Both are read with the item
    # and the condition below keeps them true: the agency's on every save, a client's on the
    # shared ones, and a concurrent memo writes the same shared value as read.
    shared = request.client_revision + (1 if events else 0)
    actions += [Request.revision.add(1), Request.shared_revision.set(shared),
                Request.gsi1sk.set(request.gsi1sk), Request.gsi2sk.set(request.gsi2sk)]
    notices = _notices(actor, request, entries, now, charge=plan)
    opened = int(request.status in workflow.OPEN) - int(was_open)

    def write(tx):
        tx.update(request, actions, condition=Request.revision_is(revision, shared=policy.sees_shared_revision(actor)),
                  label="request")
        for entry in entries:
            tx.save(entry, label="thread")
        for notice in notices:
            tx.save(notice, label="mail")
        if plan is not None:
            plan.write(tx)
        if opened:  # into or out of the open statuses: the company's count of open requests follows
            tx.update(*OpenCount.delta(request.company_id, opened), label="open_count")

    try:
        transact(write)
    except TransactionFailed as error:
        if error.failed("request"):
            raise Conflict("request changed meanwhile") from None
        if plan is not None and plan.lost_race(error):
            raise ledger.BalanceMoved() from None
        raise
    notifications.after_commit(notices)
    if plan is not None:
        _audit_charge(actor, request, plan, now)
    saved = Request.find(request.request_id)
    saved.changed_fields = request.changed_fields
    return saved


def _audit_charge(actor: User, request: Request, plan: ledger.ChargePlan, now: datetime) -> None:
    """The audit entry of the points a 完了 charged (the ledger's charge), balance before -> after."""
    delta, after = int(plan.entry.delta_tenths), int(plan.entry.balance_after_tenths)
    audit.record("points_charged", actor=actor, target=f"request:{request.request_id}",
                 target_name=f"#{request.number} {request.title}", company_id=request.company_id, at=now,
                 changes={"points": {"old": "", "new": f"{pointrules.format_points(delta)} pt"},
                          "balance": {"old": f"{pointrules.format_points(after - delta)} pt",
                                      "new": f"{pointrules.format_points(after)} pt"}})


def _notices(actor: User, request: Request, entries: list[ThreadEntry], now: datetime,
             charge: ledger.ChargePlan | None = None) -> list:
    """Mail for the changes that are told: the status (to the other side, with what a 完了
    charged) and a new 担当者."""
    told = []
    for entry in entries:
        if entry.field in ("status", "reopen"):
            told.append(notifications.event(notifications.STATUS, request=request, actor=actor,
                                            event_id=entry.entry_id, at=now, old_value=entry.old_value,
                                            new_value=entry.new_value, charge=charge))
        elif entry.field == "assignee" and request.assignee_id:
            told.append(notifications.event(notifications.ASSIGNED, request=request, actor=actor,
                                            event_id=entry.entry_id, at=now, assignee_id=request.assignee_id))
    return told


def withdraw_request(actor: User, request_id: str, *, revision: int) -> Request:
    """取り下げ by the client."""
    return update_request(actor, request_id, RequestChanges(status=workflow.WITHDRAWN), revision=revision,
                          action=permissions.REQUEST_WITHDRAW)


def confirm_request(actor: User, request_id: str, *, revision: int) -> Request:
    """完了確認: the client confirms the work the agency asked it to check."""
    return update_request(actor, request_id, RequestChanges(status=workflow.DONE), revision=revision,
                          action=permissions.REQUEST_CONFIRM)


def _may_reopen(actor: User, request: Request, errors: dict) -> bool:
    """Whether the policy lets ``actor`` reopen ``request``; its reason goes into ``errors``."""
    try:
        policy.require(actor, policy.REOPEN, request)
    except Invalid as refused:
        errors.update(refused.errors)
        return False
    return True


def reopen_request(actor: User, request_id: str, *, revision: int) -> Request:
    """再開: a 完了 request goes back to 対応中, a 取り下げ one to 新規 (workflow.REOPENED_TO).

    The agency reopens either; a client (the requester or its company's admin) its own 完了 one
    within the period the agency set. Charged points stay charged: completing it again charges
    nothing more (ledger's charge mark). Raises Invalid with the reason at ``status``, Forbidden,
    NotFound, Conflict.
    """
    request = load(actor, request_id, permissions.REQUEST_REOPEN)
    target = workflow.REOPENED_TO.get(request.status)
    if target is None:
        raise Invalid({"status": t("request.status_denied")})
    return update_request(actor, request_id, RequestChanges(status=target), revision=revision,
                          action=permissions.REQUEST_REOPEN)


def _assignee(user_id: str) -> User | None:
    user = User.find(user_id)
    return user if user is not None and user.is_agency and user.active else None


def staff_choices() -> list[User]:
    """The active agency accounts one may assign (this container's copy, at most a minute old)."""
    return [u for u in STAFF_KEPT.get() if u.active]


