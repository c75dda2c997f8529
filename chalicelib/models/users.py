"""Accounts: agency staff and client users, one item per user ID."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

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
    # No longer written: asking for a reset link is limited per ID by models.security.ResetMailRequest.
    last_reset_mail_at = UTCDateTimeAttribute(null=True)
    # Bumped whenever every existing session must end (password change, deactivation).
    session_epoch = NumberAttribute(default=0)
    # メール通知設定 (the account's own mails, guidance and password reset, always go). A client:
    # mail about requests they only follow (依頼関係者). Staff: mail about requests nobody is
    # assigned to (new requests, and client comments on them).
    mail_following = BooleanAttribute(default=True)
    mail_unassigned = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        # User IDs are case-insensitive for uniqueness and login: "Tanaka01" and "tanaka01" are one.
        return f"USER#{user_id.lower()}", "PROFILE"

    @classmethod
    def new(cls, *, user_id: str, **attributes) -> "User":
        pk, sk = cls.keys(user_id)
        return cls(pk, sk, user_id=user_id, gsi1pk=members_partition(attributes.get("company_id")),
                   gsi1sk=f"USER#{user_id.lower()}", **attributes)

    @classmethod
    def members(cls, company_id: str | None, *, limit: int = 200) -> list["User"]:
        """The accounts of a company (or of the agency when ``company_id`` is None), by user ID."""
        return list(cls.gsi1.query(members_partition(company_id), limit=limit))

    @classmethod
    def with_history(cls, user_id: str, *, events: int = 50) -> tuple["User | None", list]:
        """The account and its latest events, in one query of its partition."""
        from chalicelib.models.events import AccountEvent

        pk, _ = cls.keys(user_id)
        user, history = None, []
        # "PROFILE" sorts just after "EVENT#...": descending from it gives the profile, then the
        # newest events, and never the other things kept in the partition (e.g. SEEN# marks).
        for item in Item.query(pk, Item.sk <= "PROFILE", scan_index_forward=False, limit=events + 1,
                               consistent_read=True):
            if isinstance(item, User):
                user = item
            elif isinstance(item, AccountEvent):
                history.append(item)
        return user, history

    def create(self) -> None:
        """Store a new account; raises PutError (ConditionalCheckFailed) if the ID is taken."""
        self.save(condition=User.pk.does_not_exist())

    @property
    def is_agency(self) -> bool:
        return self.role in (AGENCY_ADMIN, AGENCY_STAFF)


def members_partition(company_id: str | None) -> str:
    """GSI1 partition listing the accounts of a company, or of the agency (company_id None)."""
    return f"MEMBERS#{company_id}" if company_id else "MEMBERS#AGENCY"
