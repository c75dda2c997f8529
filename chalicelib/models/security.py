"""Short-lived security records: failed-login counters and password-reset tokens. All expire
through the table's TTL (and are checked on read, since TTL deletes late)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item


class LoginFailures(Item, discriminator="LoginFailures"):
    """Failed logins for one user ID, whether or not the account exists (so no ID leaks)."""

    user_key = UnicodeAttribute()
    count = NumberAttribute(default=0)
    last_failed_at = UTCDateTimeAttribute()
    locked_until = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute()

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        return f"LOGINFAIL#{user_id.lower()}", "COUNTER"


class AddressFailures(Item, discriminator="AddressFailures"):
    """Failed logins from one client address within one hour."""

    count = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @staticmethod
    def keys(address: str, hour: str) -> tuple[str, str]:
        return f"LOGINADDR#{address}", f"HOUR#{hour}"


class PasswordReset(Item, discriminator="PasswordReset"):
    """A one-time password-reset link. The key holds only the token's hash.

    ``session_epoch`` is the account's when the link was sent: a password change, a reset or a
    deactivation bumps the account's, which ends every outstanding link at once (links are kept
    by token, so they could not all be found to delete). Links from before it was recorded: None.
    """

    user_id = UnicodeAttribute()
    session_epoch = NumberAttribute(null=True)
    valid_until = UTCDateTimeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def keys(token_hash: str) -> tuple[str, str]:
        return f"RESET#{token_hash}", "RESET"

