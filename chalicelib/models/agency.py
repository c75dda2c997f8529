"""The agency's own settings: one item, kept per warm container (see ``AgencySettings.kept``)."""
from __future__ import annotations

import threading
import time

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.messages import t
from chalicelib.models.base import Item

DEFAULT_AGENCY_NAME = t("agency.default_name")
DEFAULT_REOPEN_DAYS = 14  # how long a client may reopen its own 完了 request

# How old the copy of the settings a warm container keeps may be before it is read again: the
# staleness bound of a change made in another container (the container that saves them forgets its
# copy at once). Every page shows the agency's name and phone number; they change a few times a year.
KEPT_SECONDS = 60.0


class AgencySettings(Item, discriminator="AgencySettings"):
    name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    phone = UnicodeAttribute(default="")
    mail_sender_name = UnicodeAttribute(default=DEFAULT_AGENCY_NAME)
    client_reopen_days = NumberAttribute(default=DEFAULT_REOPEN_DAYS)
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

    # --- the copy kept per container -------------------------------------------------------------
    # (value, monotonic time it was read); a list so that one assignment replaces both at once.
    _kept: list = [None, float("-inf")]
    _kept_lock = threading.Lock()

    @classmethod
    def stale(cls, *, at: float | None = None) -> bool:
        """True when the kept copy is missing or older than KEPT_SECONDS: the next reader reads it."""
        at = time.monotonic() if at is None else at
        value, read_at = cls._kept
        return value is None or at - read_at >= KEPT_SECONDS

    @classmethod
    def keep(cls, stored: "AgencySettings | None", *, at: float | None = None) -> "AgencySettings":
        """Keep what was just read (None: no item, so the defaults), e.g. in the session's batch read."""
        value = stored if stored is not None else cls(*cls.KEYS)
        with cls._kept_lock:
            cls._kept = [value, time.monotonic() if at is None else at]
        return value

    @classmethod
    def kept(cls) -> "AgencySettings":
        """The settings as pages show them: this container's copy, read again once it is
        KEPT_SECONDS old. Writers (and the first-start check) read ``load()``, never this."""
        value, _ = cls._kept
        if value is None or cls.stale():
            return cls.keep(cls.load())
        return value

    @classmethod
    def forget(cls) -> None:
        with cls._kept_lock:
            cls._kept = [None, float("-inf")]

    # Every write through the model (the settings page, the first start, a test) forgets this
    # container's copy, so the writer's own next page shows what it saved.
    def save(self, *args, **kwargs):
        try:
            return super().save(*args, **kwargs)
        finally:
            self.forget()

    def update(self, *args, **kwargs):
        try:
            return super().update(*args, **kwargs)
        finally:
            self.forget()

    def delete(self, *args, **kwargs):
        try:
            return super().delete(*args, **kwargs)
        finally:
            self.forget()
