"""Server-side login sessions. The cookie holds a random token; only its hash is stored."""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item


class Session(Item, discriminator="Session"):
    user_id = UnicodeAttribute()
    csrf_token = UnicodeAttribute()
    session_epoch = NumberAttribute()
    # The password was right but the account's second factor is still to come (/login/second):
    # such a session opens nothing else, and lives minutes, not hours.
    pending = BooleanAttribute(default=False)
    # The agency or the account's company requires a second factor the account has not set up:
    # the session opens nothing but 2段階認証's pages until it has (web/guards.py).
    enrol_required = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    absolute_expires_at = UTCDateTimeAttribute()
    # DynamoDB's TTL deletes expired sessions late (up to days); expiry is also checked on read.
    expires_at = NumberAttribute()

    @staticmethod
    def keys(token_hash: str) -> tuple[str, str]:
        return f"SESSION#{token_hash}", "SESSION"

    @classmethod
    def new(cls, *, token_hash: str, **attributes) -> "Session":
        pk, sk = cls.keys(token_hash)
        return cls(pk, sk, **attributes)

    def expire_at(self, moment: datetime) -> None:
        self.expires_at = int(moment.timestamp())
