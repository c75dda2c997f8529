"""Short-lived security records: failed-login counters and password-reset tokens. All expire
through the table's TTL (and are checked on read, since TTL deletes late)."""
from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.models.base import Item, is_condition_failure


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



RESET_MAIL_QUEUE = "RESETMAIL"  # GSI1 partition of the reset requests still to be done, by when due
RESET_PENDING, RESET_SENDING, RESET_DONE, RESET_FAILED = "pending", "sending", "done", "failed"


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


class ResetMailRequest(Item, discriminator="ResetMailRequest"):
    """Someone asked for a reset link for ``user_id`` (as typed; such an account may not exist).

    The form answers after writing this one item, whatever the ID, so neither its answer nor its
    timing tells which IDs exist; the sender looks the ID up afterwards and mails a link only to
    an active account. One item per ID: asking again within a minute finds it and writes nothing.
    """

    user_id = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    status = UnicodeAttribute(default=RESET_PENDING)
    attempts = NumberAttribute(default=0)
    next_attempt_at = UTCDateTimeAttribute()
    lease_until = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute()

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        return f"RESETMAIL#{user_id.lower()}", "REQUEST"

    @classmethod
    def new(cls, *, user_id: str, requested_at: datetime) -> "ResetMailRequest":
        item = cls(*cls.keys(user_id), user_id=user_id, requested_at=requested_at, next_attempt_at=requested_at,
                   expires_at=int((requested_at + timedelta(days=1)).timestamp()))
        item.gsi1pk, item.gsi1sk = item._queue_keys(requested_at)
        return item

    def _queue_keys(self, due: datetime) -> tuple[str, str]:
        return RESET_MAIL_QUEUE, f"{_stamp(due)}#{self.pk}"

    @classmethod
    def due(cls, now: datetime, *, limit: int) -> list["ResetMailRequest"]:
        """Requests whose next attempt (or expired claim) is due by ``now``, oldest first."""
        return list(cls.gsi1.query(RESET_MAIL_QUEUE, cls.gsi1sk <= f"{_stamp(now)}#~", limit=limit))

    def claim(self, now: datetime, lease_until: datetime) -> bool:
        """Take the request for one attempt, if it is due and no other sender holds it."""
        model = type(self)
        try:
            self.update(
                actions=[model.status.set(RESET_SENDING), model.lease_until.set(lease_until),
                         model.attempts.add(1), model.gsi1sk.set(self._queue_keys(lease_until)[1])],
                condition=(((model.status == RESET_PENDING) & (model.next_attempt_at <= now))
                           | ((model.status == RESET_SENDING) & (model.lease_until < now))),
            )
        except UpdateError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def finish(self, status: str) -> None:
        model = type(self)
        self.update(actions=[model.status.set(status), model.lease_until.remove(),
                             model.gsi1pk.remove(), model.gsi1sk.remove()])

    def retry_at(self, due: datetime) -> None:
        model = type(self)
        self.update(actions=[model.status.set(RESET_PENDING), model.next_attempt_at.set(due),
                             model.lease_until.remove(), model.gsi1sk.set(self._queue_keys(due)[1])])
