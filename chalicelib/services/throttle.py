"""Slowing down and locking repeated failed logins, per user ID and client address.

What locks is the pair (user ID, address): five wrong passwords from one network lock the ID
for that network only, so someone who knows a staff member's ID (a client, say) cannot shut
them out from their own office. Brute force stays bounded by three limits together:

- per (ID, address): after SLOW_AFTER failures each try waits SLOW_SECONDS; LOCK_AFTER lock it
  for LOCK_MINUTES;
- per address: at most ``login_failures_per_address_hour`` failures an hour, whatever the IDs;
- per ID, over every address: after ID_SLOW_AFTER failures, an address that has itself failed
  on the ID waits ID_SLOW_SECONDS after the ID's last failure. A slow-down, never a lock, and
  never for an address that has not failed on the ID: the staff's own network is not slowed.

Counters are kept per typed user ID whether or not such an account exists, so the answers
never reveal which IDs are real.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.adapters import config
from chalicelib.models.base import is_condition_failure
from chalicelib.models.security import AddressFailures, LoginAddressFailures, LoginFailures, TakenIdAnswers

SLOW_AFTER = 3          # failures from one address before each further try from it must wait
SLOW_SECONDS = 30
LOCK_AFTER = 5          # failures from one address that lock the ID for that address
LOCK_MINUTES = 30
ID_SLOW_AFTER = 10      # failures of one ID, from anywhere, before failing addresses are paced
ID_SLOW_SECONDS = 30
COUNTER_DAYS = 1        # a counter without new failures is forgotten after this
TAKEN_ID_ANSWERS_PER_HOUR = 10  # "this user ID is taken" answers one account may get in an hour


@dataclass
class Throttled(Exception):
    message_key: str
    params: dict


@dataclass
class Failures:
    """The counters a login attempt was checked against (``clear`` forgets the address's)."""
    user_id: str
    address: str
    pair: LoginAddressFailures | None
    of_id: LoginFailures | None


def check(user_id: str, address: str, now: datetime) -> Failures:
    """Raise Throttled if this login attempt must not even be checked; else the counters."""
    if address:
        counter = AddressFailures.find(address, _hour(now))
        if counter is not None and counter.count >= config.login_failures_per_address_hour():
            raise Throttled("login.address_limited", {})
    pair = LoginAddressFailures.find(user_id, address)
    if pair is not None and pair.locked_until is not None:
        if pair.locked_until > now:
            minutes = max(1, int((pair.locked_until - now).total_seconds() // 60) + 1)
            raise Throttled("login.locked", {"minutes": minutes})
        pair.delete()  # the lock ran out: start counting afresh
        pair = None
    if pair is not None and pair.count >= SLOW_AFTER:
        _wait(pair.last_failed_at + timedelta(seconds=SLOW_SECONDS), now)
    of_id = LoginFailures.find(user_id)
    if pair is not None and of_id is not None and of_id.count >= ID_SLOW_AFTER:
        _wait(of_id.last_failed_at + timedelta(seconds=ID_SLOW_SECONDS), now)
    return Failures(user_id=user_id, address=address, pair=pair, of_id=of_id)


def _wait(until: datetime, now: datetime) -> None:
    if until > now:
        raise Throttled("login.slow_down", {"seconds": int((until - now).total_seconds()) + 1})


def record_failure(user_id: str, address: str, now: datetime) -> bool:
    """Count a failure; True when this failure locked the ID (for this address) just now."""
    expires = int((now + timedelta(days=COUNTER_DAYS)).timestamp())
    if address:
        counter = AddressFailures(*AddressFailures.keys(address, _hour(now)))
        counter.update(actions=[AddressFailures.count.add(1),
                                AddressFailures.expires_at.set(int((now + timedelta(hours=2)).timestamp()))])
    LoginFailures(*LoginFailures.keys(user_id)).update(actions=[
        LoginFailures.user_key.set(user_id.lower()),
        LoginFailures.count.add(1),
        LoginFailures.last_failed_at.set(now),
        LoginFailures.expires_at.set(expires),
    ])
    pair = LoginAddressFailures(*LoginAddressFailures.keys(user_id, address))
    pair.update(actions=[
        # An update creates the item without its type unless told: of_id's query needs it.
        LoginAddressFailures.kind.set(LoginAddressFailures),
        LoginAddressFailures.user_key.set(user_id.lower()),
        LoginAddressFailures.address.set(address),
        LoginAddressFailures.count.add(1),
        LoginAddressFailures.last_failed_at.set(now),
        LoginAddressFailures.expires_at.set(expires),
    ])
    if pair.count < LOCK_AFTER or pair.locked_until is not None:
        return False
    try:
        pair.update(actions=[LoginAddressFailures.locked_until.set(now + timedelta(minutes=LOCK_MINUTES))],
                    condition=LoginAddressFailures.locked_until.does_not_exist())
    except UpdateError as error:
        if is_condition_failure(error):
            return False  # a simultaneous failure locked it first
        raise
    return True


def clear(user_id: str, failures: Failures | None = None) -> bool:
    """Forget failures; True if there were any. With ``failures`` (a good login) only the
    address's own counter goes: the ID's count still paces the addresses that keep failing.
    Without (an admin's unlock, a password reset) every counter of the ID goes."""
    if failures is not None:
        if failures.pair is None:
            return False
        failures.pair.delete()
        return True
    found = [*LoginAddressFailures.of_id(user_id)]
    of_id = LoginFailures.find(user_id)
    for item in [*found, *([of_id] if of_id else [])]:
        item.delete()
    return bool(found or of_id)


def locked_until(user_id: str, now: datetime) -> datetime | None:
    """When the last lock of the ID ends, from whichever address; None when none holds now."""
    ends = [pair.locked_until for pair in LoginAddressFailures.of_id(user_id)
            if pair.locked_until is not None and pair.locked_until > now]
    return max(ends, default=None)


class TakenIdLimited(Exception):
    """This account was told too often this hour that an ID is taken: it must try later."""


def check_taken_id_answers(actor_id: str, now: datetime) -> None:
    """Raise TakenIdLimited when ``actor_id`` has had its answers for this hour. Asked before
    looking the ID up, so past the limit a free ID and a taken one get the same refusal."""
    counter = TakenIdAnswers.find(actor_id, _hour(now))
    if counter is not None and counter.count >= TAKEN_ID_ANSWERS_PER_HOUR:
        raise TakenIdLimited()


def spend_taken_id_answer(actor_id: str, now: datetime) -> None:
    """Count one "taken" answer to ``actor_id``; TakenIdLimited when the hour's are spent (the
    condition holds the limit when several forms are sent at once)."""
    counter = TakenIdAnswers(*TakenIdAnswers.keys(actor_id, _hour(now)))
    try:
        counter.update(actions=[TakenIdAnswers.count.add(1),
                                TakenIdAnswers.expires_at.set(int((now + timedelta(hours=2)).timestamp()))],
                       condition=TakenIdAnswers.count.does_not_exist() | (TakenIdAnswers.count < TAKEN_ID_ANSWERS_PER_HOUR))
    except UpdateError as error:
        if is_condition_failure(error):
            raise TakenIdLimited() from None
        raise


def _hour(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")
