"""Writing the audit log (models.audit): one entry per event, never blocking the action it records.

``record`` is called by the service that did the thing, after it is done. The caller's address and
user agent come from the request the web layer bound (``bind_request``), so services need not pass
them along. A write that fails after botocore's retries is logged as ``audit entry lost`` with the
entry's kind, actor and target (never its changes, which may be personal data): the log metric
filter ``AuditEntriesLost`` in infra/template.yaml counts these lines and alarms on any.
"""
from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.clock import utcnow
from chalicelib.models.agency import DEFAULT_AUDIT_RETENTION_DAYS
from chalicelib.models.audit import AuditEntry
from chalicelib.services import agency

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
            actor_name=actor.name if actor else "", typed_id=typed_id[:64], address=caller.address,
            user_agent=caller.user_agent, event=kind, target=target, target_name=target_name[:200],
            internal=internal, changes=changes or {},
            expires_at=int((at + timedelta(days=retention)).timestamp()))
        entry.save(condition=AuditEntry.pk.does_not_exist())
    except Exception:  # noqa: BLE001 - the action is done; a lost entry must be noticed, not fatal
        log.error("audit entry lost", extra={"audit_kind": kind, "actor": actor.user_id if actor else None,
                                             "target": target})
