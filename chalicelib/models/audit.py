"""The audit log: one append-only item per event (who did what, from where, to what).

Entries are written once with ``attribute_not_exists`` and never updated; DynamoDB's TTL removes
them when the agency's retention (``AgencySettings.audit_retention_days``) has passed.

Keys, so each reader is one query of one partition, newest first:
- ``AUDIT#<YYYY-MM>`` / ``<at>#<id>``: every entry of a month (the agency admin's log);
- GSI1 ``AUDITCO#<company>`` / ``<at>#<id>``: a company's entries (its client admin's view, the
  agency's company filter); agency-side entries have no company and are not in it;
- GSI2 ``AUDITBY#<actor>`` / ``<at>#<id>``: one actor's entries (the actor filter).
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item
from chalicelib.models.ids import new_id


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


class AuditEntry(Item, discriminator="AuditEntry"):
    entry_id = UnicodeAttribute()
    event = UnicodeAttribute()  # a key of AUDIT_KINDS in chalicelib/messages.py
    at = UTCDateTimeAttribute()
    actor_id = UnicodeAttribute(null=True)  # None: the system, or a sign-in attempt with no such account
    actor_name = UnicodeAttribute(default="")
    # The actor is the agency's: a client admin reading its company's log sees its name only, never
    # its user ID, address or browser (an agency login ID never reaches a client).
    actor_agency = BooleanAttribute(default=False)
    typed_id = UnicodeAttribute(default="")  # what a failed sign-in typed as its user ID
    address = UnicodeAttribute(default="")
    user_agent = UnicodeAttribute(default="")
    target = UnicodeAttribute(default="")  # e.g. "user:tanaka01", "company:01H…", "invoice:INV-…"
    target_name = UnicodeAttribute(default="")
    company_id = UnicodeAttribute(null=True)  # the client company the entry concerns; None: the agency's
    internal = BooleanAttribute(default=False)  # agency-internal: never shown to a client admin
    changes = MapAttribute(default=dict)  # field -> {"old": ..., "new": ...}
    expires_at = NumberAttribute()

    @staticmethod
    def keys(month: str, sort: str) -> tuple[str, str]:
        return f"AUDIT#{month}", sort

    @classmethod
    def new(cls, *, at: datetime, company_id: str | None, actor_id: str | None, **attributes) -> "AuditEntry":
        entry_id = new_id()
        sort = f"{stamp(at)}#{entry_id}"
        entry = cls(*cls.keys(at.strftime("%Y-%m"), sort), entry_id=entry_id, at=at, company_id=company_id,
                    actor_id=actor_id, **attributes)
        if company_id:
            entry.gsi1pk, entry.gsi1sk = f"AUDITCO#{company_id}", sort
        if actor_id:
            entry.gsi2pk, entry.gsi2sk = f"AUDITBY#{actor_id.lower()}", sort
        return entry
