"""Client companies (クライアント). Listed through GSI1 under one partition, ordered by creation."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import GSI1_PK, Item, Kept, decode_cursor, encode_cursor
from chalicelib.models.ids import new_id

_LIST_KEY = "COMPANIES"


class Company(Item, discriminator="Company"):
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    # Set once, by the transaction that creates the company's first account (its client admin).
    admin_user_id = UnicodeAttribute(null=True)
    # The last request number handed out (#1, #2, ...); only ever incremented atomically.
    request_counter = NumberAttribute(default=0)
    # Every account of the company must sign in with a second factor (set by the agency admin).
    require_two_factor = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def keys(company_id: str) -> tuple[str, str]:
        return f"COMPANY#{company_id}", "PROFILE"

    @classmethod
    def new(cls, *, name: str, created_at) -> "Company":
        company_id = new_id()
        pk, sk = cls.keys(company_id)
        return cls(pk, sk, company_id=company_id, name=name, created_at=created_at,
                   gsi1pk=_LIST_KEY, gsi1sk=f"COMPANY#{company_id}")

    @classmethod
    def page(cls, *, limit: int, after: str | None = None):
        """Companies, newest first, ``limit`` at a time; returns (companies, cursor of the next page)."""
        result = cls.gsi1.query(_LIST_KEY, scan_index_forward=False, limit=limit,
                                last_evaluated_key=decode_cursor(after, GSI1_PK, _LIST_KEY))
        companies = list(result)
        return companies, encode_cursor(result.last_evaluated_key)


    @classmethod
    def next_request_number(cls, company_id: str) -> int:
        """Atomically take the company's next request number; numbers are never reused."""
        counter = cls(*cls.keys(company_id))
        counter.update(actions=[cls.request_counter.add(1)], condition=cls.pk.exists())
        return int(counter.request_counter)


CHOICES_SIZE = 200  # companies the inbox's company filter offers
# The inbox's company filter, kept per container; creating a company (or taking a request number)
# here forgets it.
CHOICES_KEPT = Kept("company choices", lambda: Company.page(limit=CHOICES_SIZE)[0], types=(Company,), seconds=60.0)
