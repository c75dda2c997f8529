"""The current time, in one place (services take ``now`` so tests can move it)."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
