"""Writing account events (who did what to an account, and when)."""
from __future__ import annotations

from datetime import datetime

from chalicelib.models.events import AccountEvent
from chalicelib.models.users import User
from chalicelib.clock import utcnow


def record(user: User, event: str, actor: User | None, *, at: datetime | None = None,
           changes: dict | None = None) -> None:
    AccountEvent.new(user_id=user.user_id, event=event, actor_id=actor.user_id if actor else None,
                     actor_name=actor.name if actor else "", at=at or utcnow(), changes=changes or {}).save()
