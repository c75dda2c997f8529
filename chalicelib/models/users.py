"""Accounts: agency staff and client users, one item per user ID."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute

from chalicelib.models.base import Item

AGENCY_ADMIN = "agency_admin"
AGENCY_STAFF = "agency_staff"
CLIENT_ADMIN = "client_admin"
CLIENT_MEMBER = "client_member"
ROLES = (AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER)


class User(Item, discriminator="User"):
    """An account. The user ID is the partition key, so uniqueness is a conditional put."""

    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kana = UnicodeAttribute(default="")
    phone = UnicodeAttribute(default="")
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    company_id = UnicodeAttribute(null=True)  # None for agency accounts
    active = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute()
    # A temporary password works once, until it expires, and forces a change at first login.
    must_change_password = BooleanAttribute(default=True)
    temp_password_expires_at = UTCDateTimeAttribute(null=True)
    temp_password_used = BooleanAttribute(default=False)
    # Bumped whenever every existing session must end (password change, deactivation).
    session_epoch = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        # User IDs are case-insensitive for uniqueness and login: "Tanaka01" and "tanaka01" are one.
        return f"USER#{user_id.lower()}", "PROFILE"

    @classmethod
    def new(cls, *, user_id: str, **attributes) -> "User":
        pk, sk = cls.keys(user_id)
        return cls(pk, sk, user_id=user_id, **attributes)

    @classmethod
    def find(cls, user_id: str) -> "User | None":
        pk, sk = cls.keys(user_id)
        try:
            return cls.get(pk, sk, consistent_read=True)
        except cls.DoesNotExist:
            return None

    def create(self) -> None:
        """Store a new account; raises PutError (ConditionalCheckFailed) if the ID is taken."""
        self.save(condition=User.pk.does_not_exist())

    @property
    def is_agency(self) -> bool:
        return self.role in (AGENCY_ADMIN, AGENCY_STAFF)
