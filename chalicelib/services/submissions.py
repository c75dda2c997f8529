"""Submission keys: every form that files something carries a fresh one, so the same form sent
twice (a double click, a resend after a timeout) files it once (see requests.create_request)."""
from __future__ import annotations

from datetime import datetime

from chalicelib.models.ids import is_id, new_id
from chalicelib.models.submissions import Submission
from chalicelib.models.users import User


def new_key() -> str:
    """A key no other form has been given (a ULID, 26 characters)."""
    return new_id()


def stored(actor: User, key: str) -> Submission | None:
    """What the form with this one-time key already stored for the actor, if anything."""
    return Submission.find(actor.user_id, key) if is_id(key) else None


def marker(actor: User, key: str, request_id: str, entry_id: str | None, now: datetime) -> Submission:
    """The record written with the change. Without a form key (an API call, an old page) it is keyed
    by the new item's own id: a resend is then a new change, but botocore's retry still is not."""
    key = key if is_id(key) else (entry_id or request_id)
    return Submission.new(user_id=actor.user_id, key=key, request_id=request_id, entry_id=entry_id, now=now)


def write(tx, marker: Submission) -> None:
    """Add ``marker`` to a transaction (label ``submission``), refused if the key was used before."""
    tx.save(marker, condition=Submission.pk.does_not_exist(), label="submission")
