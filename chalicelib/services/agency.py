"""The agency's own settings as pages and mails show them (name, phone number, mail sender).

Pages and the API read them through here, never from the model: the web layer reaches the table
only through services (the import contract in .importlinter). Changing them is
``companies.update_settings``.
"""
from __future__ import annotations

from chalicelib.models.agency import AgencySettings


def settings() -> AgencySettings:
    """The stored settings, or the defaults while the agency has saved none."""
    return AgencySettings.load()
