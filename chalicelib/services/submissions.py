"""Submission keys: every form that files something carries a fresh one, so the same form sent
twice (a double click, a resend after a timeout) files it once (see requests.create_request)."""
from __future__ import annotations

from chalicelib.models.ids import new_id


def new_key() -> str:
    """A key no other form has been given (a ULID, 26 characters)."""
    return new_id()
