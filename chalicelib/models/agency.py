"""The agency's own settings: one item."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, VersionAttribute

from chalicelib.messages import t
from chalicelib.models.base import Item

DEFAULT_AGENCY_NAME = t("agency.default_name")


class AgencySettings(Item, discriminator="AgencySettings"):
    name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    phone = UnicodeAttribute(default="")
    mail_sender_name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    version = VersionAttribute()

    KEYS = ("AGENCY", "SETTINGS")

    @classmethod
    def load(cls) -> "AgencySettings":
        """The stored settings, or unsaved defaults when the agency has not set any yet."""
        try:
            return cls.get(*cls.KEYS)
        except cls.DoesNotExist:
            return cls(*cls.KEYS)
