"""The agency's urgency rules (特急料金) and closed days (休業日): one item, read with one get.

Kept apart from AgencySettings so that saving the agency's name and saving these rules never
refuse each other's optimistic lock.
"""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models.base import Item


class UrgencyRuleAttribute(MapAttribute):
    within_days = NumberAttribute()       # applies when the lead time is at most this many business days
    multiplier = UnicodeAttribute()       # Decimal as text, so 1.5 stays exactly 1.5


class ClosedPeriodAttribute(MapAttribute):
    first = UnicodeAttribute()            # ISO dates, inclusive
    last = UnicodeAttribute()
    name = UnicodeAttribute(default="")


class UrgencySettings(Item, discriminator="UrgencySettings"):
    rules = ListAttribute(of=UrgencyRuleAttribute, default=list)
    closed = ListAttribute(of=ClosedPeriodAttribute, default=list)
    version = VersionAttribute()

    KEYS = ("AGENCY", "URGENCY")

    @classmethod
    def load(cls) -> "UrgencySettings":
        """The stored rules, or unsaved empty ones (no multiplier, no closed days)."""
        try:
            return cls.get(*cls.KEYS, consistent_read=True)
        except cls.DoesNotExist:
            return cls(*cls.KEYS)
