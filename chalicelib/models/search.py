"""The keyword index: one posting per (company, term, request), kept in the single table.

A posting's table key is ``TERM#<company>#<term>`` / ``<order>``, where ``order`` is the request's
creation time then its id, so a query on one term of one company reads its requests newest first;
its GSI1 key is ``TERM#ALL#<term>`` / ``<order>``, the same list across every company for the
agency. A posting carries no text: services.search decides which terms a request has and asks
this module only to write, delete, page and look up postings. Both keys grow with the term, never
with the data, and the terms are bounded in length by services.search.
"""
from __future__ import annotations

import re
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute

from chalicelib.models.base import Item

ALL = "ALL"  # the GSI1 partition of every company's postings (agency only)
_ORDER = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}#[0-9A-Z]{26}")


def order_of(created_at: datetime, request_id: str) -> str:
    """The sort key of a request's postings: newest first when read backwards."""
    return f"{created_at.strftime('%Y-%m-%dT%H:%M:%S.%f')}#{request_id}"


def is_order(value: str | None) -> bool:
    """True if ``value`` has the shape ``order_of`` makes (checked before a cursor reaches a key)."""
    return bool(value and _ORDER.fullmatch(value))


def request_id_of(order: str) -> str:
    return order.rsplit("#", 1)[1]


class Posting(Item, discriminator="Posting"):
    """"The request at ``order`` of ``company_id`` contains ``term``"."""

    company_id = UnicodeAttribute()

    @staticmethod
    def keys(company_id: str, term: str, order: str) -> tuple[str, str]:
        return f"TERM#{company_id}#{term}", order

    @classmethod
    def of(cls, company_id: str, term: str, order: str) -> "Posting":
        posting = cls(*cls.keys(company_id, term, order), company_id=company_id)
        posting.gsi1pk, posting.gsi1sk = f"TERM#{ALL}#{term}", order
        return posting

    @property
    def order(self) -> str:
        return self.sk


def write(added: list[Posting], removed: list[Posting]) -> None:
    """Put ``added`` and delete ``removed`` in batches of 25 (BatchWriteItem; PynamoDB resends
    what DynamoDB leaves unprocessed). Both are idempotent, so a repeated call changes nothing."""
    if not added and not removed:
        return
    with Posting.batch_write() as batch:
        for posting in added:
            batch.save(posting)
        for posting in removed:
            batch.delete(posting)


def page(company_id: str | None, term: str, *, before: str | None, limit: int) -> tuple[list[Posting], bool]:
    """The newest ``limit`` postings of ``term`` older than ``before`` (all companies when
    ``company_id`` is None: the agency's index), and whether older ones remain. One query."""
    if company_id is None:
        condition = Posting.gsi1sk < before if before else None
        result = Posting.gsi1.query(f"TERM#{ALL}#{term}", condition, scan_index_forward=False, limit=limit)
    else:
        condition = Posting.sk < before if before else None
        result = Posting.query(Posting.keys(company_id, term, "")[0], condition, scan_index_forward=False, limit=limit)
    found = list(result)
    return found, result.last_evaluated_key is not None


def present(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these posting keys exist: batch reads of up to 100 keys each."""
    found = set()
    for start in range(0, len(keys), 100):
        chunk = list(dict.fromkeys(keys[start:start + 100]))
        found.update((posting.pk, posting.sk) for posting in Posting.batch_get(chunk, attributes_to_get=["PK", "SK"]))
    return found
