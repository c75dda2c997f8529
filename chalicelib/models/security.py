"""Short-lived security records: failed-login counters and password-reset tokens. All expire
through the table's TTL (and are checked on read, since TTL deletes late)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item


class LoginFailures(Item, discriminator="LoginFailures"):
    """Failed logins for one user ID from every address, whether or not the account exists (so
    no ID leaks). It only ever slows addresses that failed on the ID themselves, never locks:
    ``locked_until`` is left from releases that locked per ID, and is no longer honoured."""

    user_key = UnicodeAttribute()
    count = NumberAttribute(default=0)
    last_failed_at = UTCDateTimeAttribute()
    locked_until = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute()

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        return f"LOGINFAIL#{user_id.lower()}", "COUNTER"


class LoginAddressFailures(Item, discriminator="LoginAddressFailures"):
    """Failed logins for one user ID from one client address: what slows and then locks, so
    failures from one network never shut the account out from another. It shares the ID's
    partition, so an unlock ends every address's lock in one query."""

    user_key = UnicodeAttribute()
    address = UnicodeAttribute(default="")
    count = NumberAttribute(default=0)
    last_failed_at = UTCDateTimeAttribute()
    locked_until = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute()

    @staticmethod
    def keys(user_id: str, address: str) -> tuple[str, str]:
        return f"LOGINFAIL#{user_id.lower()}", f"ADDR#{address}"

    @classmethod
    def of_id(cls, user_id: str):
        """Every address's counter for ``user_id`` (one query on its partition)."""
        partition, _ = cls.keys(user_id, "")
        return cls.query(partition, cls.sk.startswith("ADDR#"), consistent_read=True)


class AddressFailures(Item, discriminator="AddressFailures"):
    """Failed logins from one client address within one hour."""

    count = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @staticmethod
    def keys(address: str, hour: str) -> tuple[str, str]:
        return f"LOGINADDR#{address}", f"HOUR#{hour}"


class TakenIdAnswers(Item, discriminator="TakenIdAnswers"):
    """How often one signed-in account was told, within one hour, that a user ID is taken."""

    count = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @staticmethod
    def keys(actor_id: str, hour: str) -> tuple[str, str]:
        return f"IDTAKEN#{actor_id.lower()}", f"HOUR#{hour}"


class PasswordReset(Item, discriminator="PasswordReset"):
    """A one-time password-reset link. The key holds only the token's hash."""

    user_id = UnicodeAttribute()
    valid_until = UTCDateTimeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def keys(token_hash: str) -> tuple[str, str]:
        return f"RESET#{token_hash}", "RESET"

