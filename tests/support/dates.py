"""Dates tests ask for by what they mean (a lead time in business days) rather than a fixed day."""
from __future__ import annotations

from datetime import date, timedelta

from chalicelib.services import business_days, urgency


def business_days_ahead(count: int) -> date:
    """The first day ``count`` business days after today in Japan (as the 特急料金 counts them)."""
    today = urgency.today_in_japan()
    day = today
    while business_days.lead_days(today, day) < count:
        day += timedelta(days=1)
    return day
