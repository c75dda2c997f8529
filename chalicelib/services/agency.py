"""The agency's own settings as pages and mails show them (name, phone number, mail sender).

Pages and the API read them through here, never from the model: the web layer reaches the table
only through services (the import contract in .importlinter). Changing them is
``companies.update_settings``.
"""
from __future__ import annotations

from chalicelib.messages import t
from chalicelib.models import agency as agency_model
from chalicelib.models.agency import AgencySettings
from chalicelib.models.companies import Company
from chalicelib.models.users import User


def settings() -> AgencySettings:
    """The stored settings, or the defaults while the agency has saved none: this container's copy,
    at most ``KEPT_SECONDS`` old (a signed-in request refreshes it in its session's batch read, at no
    extra call; see services.auth.resume). What decides a write reads ``AgencySettings.load()``."""
    return agency_model.KEPT.get()


def who_to_ask(user: User, agency: AgencySettings | None = None) -> str:
    """Whom ``user`` asks for a new temporary password, an unlock or about a change they did not
    expect, by name: for a client its company's admin (unless that is the user), then the agency;
    for agency staff, the agency's admin."""
    if user.is_agency:
        return t("ask.agency_admin")
    agency = agency or settings()
    company = Company.find(user.company_id) if user.company_id else None
    admin_id = company.admin_user_id if company is not None else None
    admin = User.find(admin_id) if admin_id and admin_id.lower() != user.user_id.lower() else None
    if admin is not None and admin.active:
        return t("ask.client_admin", name=admin.name, agency=agency.name)
    return agency.name
