"""The agency's own settings: one item."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.messages import t
from chalicelib.models.base import Item

DEFAULT_AGENCY_NAME = t("agency.default_name")
DEFAULT_REOPEN_DAYS = 14  # how long a client may reopen its own 完了 request


class AgencySettings(Item, discriminator="AgencySettings"):
    name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    phone = UnicodeAttribute(default="")
    mail_sender_name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    client_reopen_days = NumberAttribute(default=DEFAULT_REOPEN_DAYS)
    version = VersionAttribute()

    KEYS = ("AGENCY", "SETTINGS")

    @classmethod
    def load(cls) -> "AgencySettings":
        """The stored settings, or unsaved defaults when the agency has not set any yet."""
        try:
            return cls.get(*cls.KEYS)
        except cls.DoesNotExist:
            return cls(*cls.KEYS)
