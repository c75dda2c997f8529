"""What one form submission produced, so sending the same form again stores nothing twice."""
from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import Item

# Long enough for a retry after an error page; TTL then removes the record.
KEPT_FOR = timedelta(days=1)


class Submission(Item, discriminator="Submission"):
    """A form's one-time key (the page carries it in a hidden field) and what it created.

    Written in the same transaction as the thing itself, with a condition that it is new: a
    retry of the transaction (botocore's, after a lost answer) or of the form (the user's, after
    an error page) fails that condition, and the caller returns what the first one stored.
    """

    user_id = UnicodeAttribute()
    key = UnicodeAttribute()
    request_id = UnicodeAttribute()
    entry_id = UnicodeAttribute(null=True)  # for a comment; None for a new request
    expires_at = NumberAttribute()

    @staticmethod
    def keys(user_id: str, key: str) -> tuple[str, str]:
        # Per account: one person's key can never collide with (or reveal) another's.
        return f"SUBMIT#{user_id}#{key}", "SUBMIT"

    @classmethod
    def new(cls, *, user_id: str, key: str, request_id: str, entry_id: str | None, now: datetime) -> "Submission":
        return cls(*cls.keys(user_id, key), user_id=user_id, key=key, request_id=request_id, entry_id=entry_id,
                   expires_at=int((now + KEPT_FOR).timestamp()))
