"""The agency's own settings: one item, kept per warm container (``KEPT``)."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.messages import t
from chalicelib.models.base import Item, Kept

DEFAULT_AGENCY_NAME = t("agency.default_name")
# The band at the top of every HTML mail, for an agency that has not chosen its own colour: the
# app's brand colour (static/css/app.css --brand-dark), which white text reads well on.
DEFAULT_COLOUR = "#1e3a8a"
DEFAULT_REOPEN_DAYS = 14  # how long a client may reopen its own 完了 request
DEFAULT_AUDIT_RETENTION_DAYS = 400  # how long the audit log keeps an entry

# How old the copy of the settings a warm container keeps may be before it is read again: the
# staleness bound of a change made in another container (the container that saves them forgets its
# copy at once). Every page shows the agency's name and phone number; they change a few times a year.
KEPT_SECONDS = 60.0


class AgencySettings(Item, discriminator="AgencySettings"):
    name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    phone = UnicodeAttribute(default="")
    mail_sender_name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    client_reopen_days = NumberAttribute(default=DEFAULT_REOPEN_DAYS)
    colour = UnicodeAttribute(default=DEFAULT_COLOUR)  # "#rrggbb", dark enough for white text
    # Every agency account must sign in with a second factor (TOTP or a passkey); per company: Company.
    require_two_factor = BooleanAttribute(default=False)
    audit_retention_days = NumberAttribute(default=DEFAULT_AUDIT_RETENTION_DAYS)  # then TTL removes an entry
    version = VersionAttribute()

    KEYS = ("AGENCY", "SETTINGS")

    @property
    def complete(self) -> bool:
        """Whether the agency has said who it is: its name, phone number and mail sender name are
        stored (saving them also names the admin who saved them, services.companies). Until then
        the defaults above stand in on the agency's own pages, and no client company can be
        created, so no client ever reads them. Computed from the stored fields, not a flag that
        could say "done" while a field is empty."""
        return self.version is not None and all(
            (value or "").strip() for value in (self.name, self.phone, self.mail_sender_name))

    @classmethod
    def load(cls) -> "AgencySettings":
        """The stored settings, or unsaved defaults when the agency has not set any yet."""
        try:
            return cls.get(*cls.KEYS)
        except cls.DoesNotExist:
            return cls(*cls.KEYS)


# The settings as pages show them (services.agency.settings): writers read AgencySettings.load().
KEPT = Kept("agency settings", AgencySettings.load, types=(AgencySettings,), seconds=KEPT_SECONDS)
