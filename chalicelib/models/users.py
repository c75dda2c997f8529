"""Accounts: agency staff and client users, one item per user ID."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.models.base import GSI1_PK, Item, Kept, decode_cursor, encode_cursor, is_condition_failure

# Accounts per page of 担当者アカウント, a client's アカウント一覧 and a company's page.
ACCOUNTS_PAGE_SIZE = 50

AGENCY_ADMIN = "agency_admin"
AGENCY_STAFF = "agency_staff"
CLIENT_ADMIN = "client_admin"
CLIENT_MEMBER = "client_member"
ROLES = (AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER)
ADMIN_ROLES = (AGENCY_ADMIN, CLIENT_ADMIN)
# Agency accounts read when all of them are needed (the 担当者 select, who is told of a new
# request): an agency has tens, deactivated ones included; a few query pages at most.
AGENCY_ACCOUNTS_MAX = 1000


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
    # A confirmed authenticator app or a passkey is set up (models/factors.py): sign-in asks for it.
    two_factor = BooleanAttribute(default=False)
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
                   gsi1sk=f"USER#{user_id.lower()}", gsi2pk=email_partition(attributes["email"]),
                   gsi2sk=f"USER#{user_id.lower()}", **attributes)

    @classmethod
    def with_email(cls, email: str, *, limit: int = 20) -> list["User"]:
        """The accounts registered with ``email`` (compared as ``email_partition`` normalises it),
        by user ID: one query of GSI2, where each account is listed under its address."""
        return list(cls.gsi2.query(email_partition(email), limit=limit))

    @staticmethod
    def email_actions(email: str) -> list:
        """The writes that change an account's address: the address and its GSI2 listing."""
        return [User.email.set(email), User.gsi2pk.set(email_partition(email))]

    @classmethod
    def members(cls, company_id: str | None, *, limit: int = 200) -> list["User"]:
        """The accounts of a company (or of the agency when ``company_id`` is None), by user ID."""
        return list(cls.gsi1.query(members_partition(company_id), limit=limit))

    @classmethod
    def members_page(cls, company_id: str | None, *, limit: int,
                     after: str | None = None) -> tuple[list["User"], str | None]:
        """``limit`` of those accounts from the cursor ``after`` (a tampered one starts from the
        first), and the cursor of the next page (None: no more). One query whatever the count."""
        partition = members_partition(company_id)
        result = cls.gsi1.query(partition, limit=limit,
                                last_evaluated_key=decode_cursor(after, GSI1_PK, partition, sort_prefix="USER#"))
        return list(result), encode_cursor(result.last_evaluated_key)

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
        """Store a new account; raises PutError (ConditionalCheckFailed) if the ID is taken.

        A new active admin is added to its side's AdminCount when that counter exists (when it
        does not yet, its first count finds the account). Not one transaction with the put: if
        the count is lost the counter is one short, which can refuse a demotion but never lets
        the last admin go.
        """
        self.save(condition=User.pk.does_not_exist())
        if self.counts_as_admin:
            AdminCount.counted(self.company_id, 1)

    @property
    def is_agency(self) -> bool:
        return self.role in (AGENCY_ADMIN, AGENCY_STAFF)

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def counts_as_admin(self) -> bool:
        """Whether this account is one of the active admins its side must never run out of."""
        return self.is_admin and bool(self.active)


class AdminCount(Item, discriminator="AdminCount"):
    """How many active admins a client company (or the agency) has.

    Every change that makes or unmakes an active admin updates this item in the same
    transaction, and a change that takes one away is conditioned on ``count > 1``: of two
    demotions (or deactivations) at once, DynamoDB lets only one through while a second admin
    remains, so the last active admin of a side can never go.
    """

    scope = UnicodeAttribute()  # a company id, or "AGENCY"
    count = NumberAttribute(default=0)

    @staticmethod
    def keys(company_id: str | None) -> tuple[str, str]:
        return f"ADMINS#{company_id or 'AGENCY'}", "COUNT"

    @classmethod
    def ensure(cls, company_id: str | None) -> "AdminCount":
        """The counter of ``company_id``'s side, counted from its accounts the first time it is
        needed (accounts older than the counter); a concurrent first count keeps the one stored."""
        found = cls.find(company_id)
        if found is not None:
            return found
        counted = sum(1 for user in User.members(company_id, limit=10_000) if user.counts_as_admin)
        counter = cls(*cls.keys(company_id), scope=company_id or "AGENCY", count=counted)
        try:
            counter.save(condition=cls.pk.does_not_exist())
        except PutError as error:
            if not is_condition_failure(error):
                raise
            return cls.find(company_id)
        return counter

    @classmethod
    def counted(cls, company_id: str | None, delta: int) -> None:
        """Add ``delta`` to an existing counter (nothing when it has not been counted yet)."""
        try:
            cls(*cls.keys(company_id)).update(actions=[cls.count.add(delta)], condition=cls.pk.exists())
        except UpdateError as error:
            if not is_condition_failure(error):
                raise


def members_partition(company_id: str | None) -> str:
    """GSI1 partition listing the accounts of a company, or of the agency (company_id None)."""
    return f"MEMBERS#{company_id}" if company_id else "MEMBERS#AGENCY"


def email_partition(email: str) -> str:
    """GSI2 partition listing the accounts of one e-mail address. Addresses are compared without
    case and surrounding space: mail systems treat ``Tanaka@Example.jp`` and ``tanaka@example.jp``
    as one mailbox, and a person typing theirs into the reset form cannot know how it was stored."""
    return f"EMAIL#{email.strip().lower()}"


# The agency's accounts as the 担当者 choices show them (the inbox filter, the request page), kept
# per container: any account written here forgets it.
# Every agency account, so the 担当者 select never leaves one out (deactivated ones stay in the partition).
STAFF_KEPT = Kept("agency staff", lambda: User.members(None, limit=AGENCY_ACCOUNTS_MAX), types=(User,), seconds=60.0)

_MEMBERS_KEPT: dict[str, Kept] = {}


def company_members(company_id: str) -> list[User]:
    """A client company's accounts as pages offer them (依頼関係者), kept per container like STAFF_KEPT."""
    kept = _MEMBERS_KEPT.get(company_id)
    if kept is None:
        kept = _MEMBERS_KEPT.setdefault(company_id, Kept(f"members of {company_id}", lambda: User.members(company_id),
                                                         types=(User,), seconds=60.0))
    return kept.get()
