"""Account events (created, changed, deactivated, password changed, locked ...), kept in the
account's own partition so the account page reads the account and its history in one query."""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item
from chalicelib.models.ids import new_id


class AccountEvent(Item, discriminator="AccountEvent"):
    user_id = UnicodeAttribute()
    event = UnicodeAttribute()  # a key of ACCOUNT_EVENTS in chalicelib/messages.py
    actor_id = UnicodeAttribute(null=True)  # None for the system or the person themselves logged out
    actor_name = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()
    changes = MapAttribute(default=dict)  # field -> {"old": ..., "new": ...}

    @classmethod
    def new(cls, *, user_id: str, **attributes) -> "AccountEvent":
        # "PROFILE" sorts after "EVENT#", so a descending query returns the profile first.
        return cls(f"USER#{user_id.lower()}", f"EVENT#{new_id()}", user_id=user_id, **attributes)

    def change_list(self) -> list[tuple[str, str, str]]:
        """(field, old, new) for each changed field, in a stable order."""
        raw = self.changes.as_dict() if isinstance(self.changes, MapAttribute) else dict(self.changes or {})
        return [(name, str(change.get("old", "")), str(change.get("new", ""))) for name, change in sorted(raw.items())]
