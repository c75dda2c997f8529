"""The audit log (models.audit): writing one entry per event, never blocking the action it records,
and reading it a page at a time (the 監査ログ page and its CSV).

``record`` is called by the service that did the thing, after it is done. The caller's address and
user agent come from the request the web layer bound (``bind_request``), so services need not pass
them along. A write that fails after botocore's retries is logged as ``audit entry lost`` with the
entry's kind, actor and target (never its changes, which may be personal data): the log metric
filter ``AuditEntriesLost`` in infra/template.yaml counts these lines and alarms on any.
"""
from __future__ import annotations

import base64
import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from chalicelib.clock import JST, format_jst, utcnow
from chalicelib.errors import Invalid
from chalicelib.messages import AUDIT_CSV_HEADER, AUDIT_FIELD_LABELS, AUDIT_KINDS, FIELD_LABELS, t
from chalicelib.models.agency import DEFAULT_AUDIT_RETENTION_DAYS
from chalicelib.models.audit import AuditEntry, stamp
from chalicelib.models.base import GSI1_PK, decode_cursor, encode_cursor, one_page
from chalicelib.models.companies import CHOICES_KEPT
from chalicelib.models.ids import is_id
from chalicelib.models.users import User
from chalicelib.services import agency, permissions, pointrules
from chalicelib.services import validation as v

log = logging.getLogger(__name__)

USER_AGENT_MAX = 300  # a header can be kilobytes; the entry keeps enough to tell browsers apart


@dataclass(frozen=True)
class Caller:
    address: str = ""
    user_agent: str = ""


_caller: ContextVar[Caller] = ContextVar("irai_audit_caller", default=Caller())


def bind_request(address: str, user_agent: str) -> None:
    """Remember who is calling, for the entries this request writes (web.context.bind calls it)."""
    _caller.set(Caller(address=address or "", user_agent=(user_agent or "")[:USER_AGENT_MAX]))


def record(kind: str, *, actor=None, target: str = "", target_name: str = "", company_id: str | None = None,
           changes: dict | None = None, internal: bool = False, typed_id: str = "",
           at: datetime | None = None) -> None:
    """Append one entry. ``actor`` is the User who acted (None: the system, or nobody signed in);
    ``changes`` maps a field to {"old": …, "new": …} and must never hold a secret. Never raises."""
    at = at or utcnow()
    caller = _caller.get()
    try:
        retention = agency.settings().audit_retention_days or DEFAULT_AUDIT_RETENTION_DAYS
        entry = AuditEntry.new(
            at=at, company_id=company_id, actor_id=actor.user_id if actor else None,
            actor_name=actor.name if actor else "", actor_agency=bool(actor is not None and actor.is_agency),
            typed_id=typed_id[:64], address=caller.address,
            user_agent=caller.user_agent, event=kind, target=target, target_name=target_name[:200],
            internal=internal, changes=changes or {},
            expires_at=int((at + timedelta(days=retention)).timestamp()))
        entry.save(condition=AuditEntry.pk.does_not_exist())
    except Exception:  # noqa: BLE001 - the action is done; a lost entry must be noticed, not fatal
        log.error("audit entry lost", extra={"audit_kind": kind, "actor": actor.user_id if actor else None,
                                             "target": target})



def record_account(kind: str, user, actor, *, changes: dict | None = None, at: datetime | None = None) -> None:
    """An entry about ``user``'s account (its sign-ins, password, factors, profile): in its
    company's log, or the agency's internal one for an agency account. ``actor`` is who acted
    (often the account itself; None: the system)."""
    record(kind, actor=actor, target=f"user:{user.user_id}", target_name=user.name, company_id=user.company_id,
           internal=user.is_agency, changes=changes, at=at)

# ---- Reading the log: one query per view (see models.audit), newest first, a page at a time.

PAGE_SIZE = 50
MONTH_READS = 4   # calls at most for one page of the agency's whole log (one per month walked, or a page of one)
CSV_READS = 60    # calls at most for a CSV download: CSV_ROWS_MAX rows, or what that many calls found
CSV_ROWS_MAX = 10_000
OLDEST_DAYS = 3650  # the longest retention (services.companies.RETENTION_DAYS_MAX): nothing is older


@dataclass
class AuditFilter:
    """The 監査ログ's filters as typed (so a refused form keeps them)."""

    actor_id: str = ""    # 操作者 (user ID)
    company_id: str = ""  # クライアント (the agency only)
    kind: str = ""        # 種類, a key of AUDIT_KINDS
    date_from: str = ""   # 期間, days in Japan, inclusive
    date_to: str = ""


@dataclass
class _Scope:
    """A checked filter: the query to run and the range of sort keys it covers."""

    actor_id: str
    company_id: str | None  # the company the log is of (a client admin's own), or the agency's filter
    client_view: bool
    kind: str
    low: str
    high: str
    months: list[str]  # the month partitions the range covers, newest first


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    cursor: str | None  # where the next page starts (None: no more)


def _day_start_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(timezone.utc)


def _months(newest: datetime, oldest: datetime) -> list[str]:
    months, year, month = [], newest.year, newest.month
    while (year, month) >= (oldest.year, oldest.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _scope(actor: User, filters: AuditFilter, *, now: datetime) -> _Scope:
    """The query ``filters`` ask for, for ``actor``; Invalid (at each field) for what cannot be one.
    A client admin reads its own company's log only, whatever a parameter says (tenant from the session)."""
    if actor.is_agency:
        permissions.authorize(actor, permissions.AUDIT_VIEW, agency_target=True)
    else:
        permissions.authorize(actor, permissions.AUDIT_VIEW, company_id=actor.company_id)
    errors: dict[str, str] = {}
    actor_id = v.typed_user_id(filters.actor_id)
    if actor_id and not v.USER_ID.match(actor_id):
        errors["actor_id"] = t("audit.bad_actor")
    if filters.kind and filters.kind not in AUDIT_KINDS:
        errors["kind"] = t("audit.unknown_kind")
    company_id = actor.company_id if not actor.is_agency else (filters.company_id or None)
    if actor.is_agency and company_id and not is_id(company_id):
        errors["company_id"] = t("audit.unknown_company")
    days = {}
    for name in ("date_from", "date_to"):
        try:
            days[name] = v.parse_date(getattr(filters, name))
            if days[name] is not None:
                _day_start_utc(days[name] + timedelta(days=1))  # the range's end: 9999-12-31 has none
        except (ValueError, OverflowError):
            errors[name] = t("audit.bad_date")
            days[name] = None
    if days["date_from"] and days["date_to"] and days["date_from"] > days["date_to"]:
        errors["date_to"] = t("audit.from_after_to")
    if errors:
        raise Invalid(errors)
    oldest, newest = now - timedelta(days=OLDEST_DAYS), now + timedelta(days=1)
    start = max(_day_start_utc(days["date_from"]), oldest) if days["date_from"] else oldest
    end = min(_day_start_utc(days["date_to"] + timedelta(days=1)), newest) if days["date_to"] else newest
    # An entry's sort key is "<at>#<id>": the range's end stamp itself sorts before any entry at it.
    return _Scope(actor_id=actor_id.lower(), company_id=company_id, client_view=not actor.is_agency,
                  kind=filters.kind, low=stamp(start), high=stamp(end), months=_months(end, start))


def _condition(scope: _Scope, *, on_company_index: bool):
    conditions = []
    if scope.kind:
        conditions.append(AuditEntry.event == scope.kind)
    if scope.client_view:
        conditions.append(AuditEntry.internal == False)  # noqa: E712 - a DynamoDB condition, not a comparison
        if scope.actor_id:  # an agency user ID typed by a client finds nothing (its existence stays unknown)
            conditions.append(AuditEntry.actor_agency == False)  # noqa: E712
    if scope.company_id and not on_company_index:
        conditions.append(AuditEntry.company_id == scope.company_id)
    condition = None
    for each in conditions:
        condition = each if condition is None else condition & each
    return condition


def _read(scope: _Scope, after: str | None, *, limit: int, reads: int) -> AuditPage:
    """At most ``reads`` calls: GSI2 for an actor, GSI1 for a company, else the months newest first."""
    found: list[AuditEntry] = []
    if scope.actor_id or scope.company_id:
        by_actor = bool(scope.actor_id)
        index, key_name = (AuditEntry.gsi2, "GSI2PK") if by_actor else (AuditEntry.gsi1, GSI1_PK)
        partition = f"AUDITBY#{scope.actor_id}" if by_actor else f"AUDITCO#{scope.company_id}"
        sort = AuditEntry.gsi2sk if by_actor else AuditEntry.gsi1sk
        start = decode_cursor(after, key_name, partition)
        for _ in range(reads):
            page, start = one_page(index.query(partition, sort.between(scope.low, scope.high), scan_index_forward=False,
                                               filter_condition=_condition(scope, on_company_index=not by_actor),
                                               limit=limit - len(found), last_evaluated_key=start))
            found.extend(page)
            if start is None or len(found) >= limit:
                break
        return AuditPage(found, encode_cursor(start))
    months, start = scope.months, None
    asked = _cursor_month(after)
    if asked in months:
        months = months[months.index(asked):]
        start = decode_cursor(after, "PK", f"AUDIT#{asked}")
    for _ in range(reads):
        if not months:
            break
        page, start = one_page(AuditEntry.query(f"AUDIT#{months[0]}", AuditEntry.sk.between(scope.low, scope.high),
                                                scan_index_forward=False, filter_condition=_condition(
                                                    scope, on_company_index=False),
                                                limit=limit - len(found), last_evaluated_key=start))
        found.extend(page)
        if start is None:
            months = months[1:]
            # The next month from its newest end: a start key at the range's end, before any entry.
            start = {"PK": {"S": f"AUDIT#{months[0]}"}, "SK": {"S": scope.high}} if months else None
        if start is None or len(found) >= limit:
            break
    return AuditPage(found, encode_cursor(start))


def _cursor_month(cursor: str | None) -> str | None:
    """The month a cursor of the agency's whole log is in (None: none, or not such a cursor)."""
    if not cursor or len(cursor) > 1024:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        partition = key["PK"]["S"]
    except (ValueError, TypeError, KeyError):
        return None
    return partition.removeprefix("AUDIT#") if isinstance(partition, str) and partition.startswith("AUDIT#") else None


def entries(actor: User, filters: AuditFilter, *, after: str | None = None, now: datetime | None = None) -> AuditPage:
    """監査ログ: a page of the entries ``filters`` ask for, newest first. The agency admin reads every
    entry; a client admin its own company's, never the agency's internal ones. Raises Invalid
    (bad filters, at their fields), Forbidden (other roles)."""
    scope = _scope(actor, filters, now=now or utcnow())
    return _read(scope, after, limit=PAGE_SIZE, reads=MONTH_READS)


def audit_csv(actor: User, filters: AuditFilter, *, now: datetime | None = None, recorded: bool = True) -> bytes:
    """The entries ``filters`` ask for as CSV (UTF-8 with BOM, pointrules.csv_bytes), newest first,
    at most CSV_ROWS_MAX; the download is itself an entry (``recorded``: False for a HEAD, which
    downloads nothing). Raises as ``entries``."""
    scope = _scope(actor, filters, now=now or utcnow())
    rows: list[AuditEntry] = []
    cursor = None
    for _ in range(CSV_READS):
        page = _read(scope, cursor, limit=min(1000, CSV_ROWS_MAX - len(rows)), reads=1)
        rows.extend(page.entries)
        cursor = page.cursor
        if cursor is None or len(rows) >= CSV_ROWS_MAX:
            break
    typed = {name: value for name, value in vars(filters).items() if value}
    if recorded:
        _record_export(actor, scope, typed, len(rows))
    return pointrules.csv_bytes(AUDIT_CSV_HEADER, [_csv_row(entry, client_view=scope.client_view) for entry in rows])


def _record_export(actor: User, scope: _Scope, typed: dict, count: int) -> None:
    record("audit_exported", actor=actor, target="audit", target_name=t("audit.csv_filename"),
           company_id=scope.company_id if scope.client_view else None, internal=actor.is_agency,
           changes={"filters": {"old": "", "new": " ".join(f"{k}={v}" for k, v in typed.items())},
                    "rows": {"old": "", "new": str(count)}})


def shows_actor(entry: AuditEntry, *, client_view: bool) -> bool:
    """Whether the actor's user ID, address and browser are shown: not an agency actor's to a client."""
    return not (client_view and entry.actor_agency)


def actor_text(entry: AuditEntry, *, client_view: bool = False) -> str:
    """Who acted, for people: the account's name and ID, what a failed sign-in typed, or the system."""
    if entry.actor_id and not shows_actor(entry, client_view=client_view):
        return entry.actor_name or t("audit.agency")
    if entry.actor_id:
        return f"{entry.actor_name}({entry.actor_id})" if entry.actor_name else entry.actor_id
    if entry.typed_id:
        return f"{t('audit.nobody')} {entry.typed_id}"
    return t("audit.system")


def change_lines(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """The entry's 変更内容 as (label, old, new)."""
    changes = entry.changes.as_dict() if hasattr(entry.changes, "as_dict") else dict(entry.changes or {})
    labels = {**FIELD_LABELS, **AUDIT_FIELD_LABELS}
    return [(labels.get(name, name), str((change or {}).get("old", "") or ""), str((change or {}).get("new", "") or ""))
            for name, change in changes.items()]


# Where an entry's target is shown, by the kind of thing it names (a client: not its company's page).
_TARGET_PAGES = {"user": "/accounts/{}", "request": "/requests/{}", "invoice": "/invoices/{}", "company": "/clients/{}",
                 "agency": "/settings"}


def target_link(entry: AuditEntry, *, client_view: bool) -> str | None:
    """The page of the entry's target (its name leads there, as names do in every list), or None."""
    kind, _, key = (entry.target or "").partition(":")
    if not key or kind not in _TARGET_PAGES or (client_view and kind in ("company", "agency")):
        return None
    return _TARGET_PAGES[kind].format(key)


def company_name(company_id: str | None) -> str:
    """A company's name as this container keeps the newest companies (no call); its ID otherwise."""
    if not company_id:
        return ""
    return next((c.name for c in CHOICES_KEPT.get() if c.company_id == company_id), company_id)


def _csv_row(entry: AuditEntry, *, client_view: bool) -> list[str]:
    changes = " / ".join(f"{label}: {old} → {new}" if old else f"{label}: {new}"
                         for label, old, new in change_lines(entry))
    shown = shows_actor(entry, client_view=client_view)
    return [format_jst(entry.at, "%Y/%m/%d %H:%M:%S"), (entry.actor_id or entry.typed_id or "") if shown else "",
            actor_text(entry, client_view=client_view), AUDIT_KINDS.get(entry.event, entry.event),
            entry.target_name or entry.target, company_name(entry.company_id), changes,
            entry.address if shown else "", entry.user_agent if shown else ""]
