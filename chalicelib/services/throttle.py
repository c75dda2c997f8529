"""Slowing down and locking repeated failed logins, per user ID and per client address.

Counters are kept per typed user ID whether or not such an account exists, so the answers
never reveal which IDs are real.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.adapters import config
from chalicelib.models.base import is_condition_failure
from chalicelib.models.security import AddressFailures, LoginFailures

SLOW_AFTER = 3          # failures before each further try must wait
SLOW_SECONDS = 30
LOCK_AFTER = 5          # failures that lock the account
LOCK_MINUTES = 30
COUNTER_DAYS = 1        # a counter without new failures is forgotten after this


@dataclass
class Throttled(Exception):
    message_key: str
    params: dict


def check(user_id: str, address: str, now: datetime) -> LoginFailures | None:
    """Raise Throttled if this login attempt must not even be checked; else the ID's counter."""
    if address:
        counter = AddressFailures.find(address, _hour(now))
        if counter is not None and counter.count >= config.login_failures_per_address_hour():
            raise Throttled("login.address_limited", {})
    failures = LoginFailures.find(user_id)
    if failures is None:
        return None
    if failures.locked_until is not None:
        if failures.locked_until > now:
            minutes = max(1, int((failures.locked_until - now).total_seconds() // 60) + 1)
            raise Throttled("login.locked", {"minutes": minutes})
        failures.delete()  # the lock ran out: start counting afresh
        return None
    if failures.count >= SLOW_AFTER:
        wait_until = failures.last_failed_at + timedelta(seconds=SLOW_SECONDS)
        if wait_until > now:
            raise Throttled("login.slow_down", {"seconds": int((wait_until - now).total_seconds()) + 1})
    return failures


def record_failure(user_id: str, address: str, now: datetime) -> bool:
    """Count a failure; True when this failure locked the account just now."""
    expires = int((now + timedelta(days=COUNTER_DAYS)).timestamp())
    if address:
        counter = AddressFailures(*AddressFailures.keys(address, _hour(now)))
        counter.update(actions=[AddressFailures.count.add(1),
                                AddressFailures.expires_at.set(int((now + timedelta(hours=2)).timestamp()))])
    failures = LoginFailures(*LoginFailures.keys(user_id))
    failures.update(actions=[
        LoginFailures.user_key.set(user_id.lower()),
        LoginFailures.count.add(1),
        LoginFailures.last_failed_at.set(now),
        LoginFailures.expires_at.set(expires),
    ])
    if failures.count < LOCK_AFTER or failures.locked_until is not None:
        return False
    try:
        failures.update(actions=[LoginFailures.locked_until.set(now + timedelta(minutes=LOCK_MINUTES))],
                        condition=LoginFailures.locked_until.does_not_exist())
    except UpdateError as error:
        if is_condition_failure(error):
            return False  # a simultaneous failure locked it first
        raise
    return True


def clear(user_id: str, failures: LoginFailures | None = None) -> bool:
    """Forget the ID's failures (after a good login, or an admin's unlock); True if there were any."""
    failures = failures or LoginFailures.find(user_id)
    if failures is None:
        return False
    failures.delete()
    return True


def _hour(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")
