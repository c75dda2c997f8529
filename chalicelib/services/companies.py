"""Client companies (クライアント管理) and the agency's own settings."""
from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.messages import t
from chalicelib.models.base import is_condition_failure, partition_read
from chalicelib.models.agency import DEFAULT_COLOUR, AgencySettings
from chalicelib.models.companies import CHOICES_KEPT, Company
from chalicelib.models.ids import is_id
from chalicelib.models.points import Balance, Contract
from chalicelib.models.users import ACCOUNTS_PAGE_SIZE, User
from chalicelib.services import audit, permissions
from chalicelib.services import validation as v
from chalicelib.services.history import record
from chalicelib.clock import utcnow
from chalicelib.errors import Conflict, Invalid, NotFound

PAGE_SIZE = 50


def list_companies(actor: User, *, after: str | None = None, limit: int = PAGE_SIZE) -> tuple[list[Company], str | None]:
    permissions.authorize(actor, permissions.COMPANY_LIST, agency_target=True)
    return Company.page(limit=limit, after=after)


def company_choices(actor: User) -> list[Company]:
    """The companies the inbox filter offers, newest first (this container's copy, at most a minute old)."""
    permissions.authorize(actor, permissions.COMPANY_LIST, agency_target=True)
    return CHOICES_KEPT.get()


def create_company(actor: User, *, name: str) -> Company:
    """A new client company. Refused (Invalid at ``_form``) until the agency's settings are
    complete: its clients would otherwise read the stand-in names (「制作会社」, 「管理者」)."""
    permissions.authorize(actor, permissions.COMPANY_CREATE, agency_target=True)
    if not AgencySettings.load().complete:
        raise Invalid({"_form": t("company.setup_first")})
    errors = v.FieldErrors()
    name = v.clean_company_name(name, errors)
    if errors:
        raise Invalid(dict(errors))
    company = Company.new(name=name, created_at=utcnow())
    try:
        company.save(condition=Company.pk.does_not_exist())
    except PutError as error:  # a ULID collision is not expected
        raise Conflict("company id collision") from error
    return company


@dataclass
class CompanyPage:
    company: Company
    accounts: list[User]  # one page of them, by user ID
    balance: Balance | None = None
    contracts: list[Contract] = field(default_factory=list)  # versions, newest (the current one) first
    accounts_cursor: str | None = None  # where the next page of accounts starts (None: no more)


def company_page(actor: User, company_id: str, *, accounts_after: str | None = None) -> CompanyPage:
    """The company and a page of its accounts (from the cursor ``accounts_after``), with its
    balance and contract versions (newest first): two queries, the company's partition (which
    holds all of those) and its accounts. A client asking for any company but its own gets NotFound."""
    permissions.authorize(actor, permissions.COMPANY_VIEW, company_id=company_id)
    if not is_id(company_id):
        raise NotFound()
    items = partition_read(Company.keys(company_id)[0], _company_item_class)
    company = next((item for item in items if isinstance(item, Company)), None)
    if company is None:
        raise NotFound()
    balance = next((item for item in items if isinstance(item, Balance)), None) or Balance(
        *Balance.keys(company_id), company_id=company_id, tenths=0, version=0)
    history = sorted((item for item in items if isinstance(item, Contract)), key=lambda c: c.sk, reverse=True)
    accounts, cursor = User.members_page(company_id, limit=ACCOUNTS_PAGE_SIZE, after=accounts_after)
    return CompanyPage(company=company, accounts=accounts, balance=balance, contracts=history, accounts_cursor=cursor)


def _company_item_class(sort_key: str):
    if sort_key == Company.keys("x")[1]:
        return Company
    if sort_key == Balance.keys("x")[1]:
        return Balance
    return Contract if sort_key.startswith("CONTRACT#") else None


def company(actor: User, company_id: str) -> Company:
    """One company (its name for a page's breadcrumb trail), the same rule as its page: from this
    container's copy of the newest companies when it holds it (no call), else one read."""
    permissions.authorize(actor, permissions.COMPANY_VIEW, company_id=company_id)
    kept = {c.company_id: c for c in CHOICES_KEPT.get()} if actor.is_agency else {}
    found = kept.get(company_id) or Company.find(company_id)
    if found is None:
        raise NotFound()
    return found


def own_company(actor: User) -> Company:
    """The company of a client account (for page headings)."""
    company = Company.find(actor.company_id) if actor.company_id else None
    if company is None:
        raise NotFound()
    return company


@dataclass
class SettingsForm:
    name: str = ""
    phone: str = ""
    mail_sender_name: str = ""
    display_name: str = ""  # the saving admin's own name, as clients read it (「山田がコメントしました」)
    client_reopen_days: str = ""  # how many days after 完了 a client may still reopen its request
    colour: str = ""  # the band at the top of the HTML mail
    # None for these two: the posted form did not carry them (a page rendered before they existed),
    # so the stored values stay rather than being reset.
    audit_retention_days: str | None = None  # then DynamoDB's TTL removes an entry
    require_two_factor: bool | None = None  # every agency account signs in with a second factor


REOPEN_DAYS_MAX = 365
RETENTION_DAYS_MIN, RETENTION_DAYS_MAX = 30, 3650
SETTINGS_FIELDS = ("agency_name", "display_name", "phone", "mail_sender_name", "colour", "client_reopen_days",
                   "audit_retention_days")
# What the audit log's 設定の変更 compares, as (field name in the entry, attribute of AgencySettings).
AUDITED_SETTINGS = (("agency_name", "name"), ("phone", "phone"), ("mail_sender_name", "mail_sender_name"),
                    ("colour", "colour"), ("client_reopen_days", "client_reopen_days"),
                    ("audit_retention_days", "audit_retention_days"), ("require_two_factor", "require_two_factor"))


def update_settings(actor: User, form: SettingsForm, *, version: int | None) -> AgencySettings:
    """Agency name, the phone number on the dashboard, the sender name and colour of e-mails, how
    long a client may reopen, and the saving admin's own display name. Name, phone, sender and
    display name are required, so saved settings are complete (``AgencySettings.complete``) and
    client companies can be created; an empty colour is the app's own."""
    permissions.authorize(actor, permissions.SETTINGS_EDIT, agency_target=True)
    errors = v.FieldErrors()
    name = v.clean_company_name(form.name, errors)
    sender = v.clean_line(form.mail_sender_name, errors, "mail_sender_name", maximum=v.COMPANY_MAX)
    phone = v.clean_phone(form.phone, errors)
    display_name = v.clean_line(form.display_name, errors, "display_name", maximum=v.NAME_MAX)
    colour = v.clean_colour(form.colour, "colour", errors) if form.colour.strip() else DEFAULT_COLOUR
    reopen_days = v.whole_number(form.client_reopen_days)
    if reopen_days is None or reopen_days > REOPEN_DAYS_MAX:
        errors["client_reopen_days"] = t("settings.reopen_days", max=REOPEN_DAYS_MAX)
    retention = v.whole_number(form.audit_retention_days) if form.audit_retention_days is not None else -1
    if retention != -1 and (retention is None or not RETENTION_DAYS_MIN <= retention <= RETENTION_DAYS_MAX):
        errors["audit_retention_days"] = t("settings.audit_retention_days", min=RETENTION_DAYS_MIN,
                                           max=RETENTION_DAYS_MAX)
    if "name" in errors:
        errors["agency_name"] = errors.pop("name")
    if errors:  # in the order of the form, so the summary reads top to bottom
        raise Invalid({field: errors[field] for field in SETTINGS_FIELDS if field in errors})
    settings = AgencySettings.load()
    if settings.version != version:
        raise Conflict("settings changed meanwhile")
    before = {key: _shown(getattr(settings, attribute)) for key, attribute in AUDITED_SETTINGS}
    settings.name, settings.phone, settings.mail_sender_name = name, phone, sender
    settings.client_reopen_days, settings.colour = reopen_days, colour
    if retention != -1:
        settings.audit_retention_days = retention
    if form.require_two_factor is not None:
        settings.require_two_factor = bool(form.require_two_factor)
    try:
        settings.save()  # VersionAttribute: refused if someone saved in between
    except (PutError, UpdateError) as error:
        if is_condition_failure(error):
            raise Conflict("settings changed meanwhile") from None
        raise
    changes = {}
    if display_name != actor.name:
        changes = {"name": {"old": actor.name, "new": display_name}}
        actor.update(actions=[User.name.set(display_name)])
        record(actor, "updated", actor, changes=changes)
    after = {key: _shown(getattr(settings, attribute)) for key, attribute in AUDITED_SETTINGS}
    changed = {key: {"old": before[key], "new": after[key]} for key in after if before[key] != after[key]}
    if changes:
        changed["display_name"] = changes["name"]
    if changed:
        audit.record("settings_changed", actor=actor, target="agency:settings", target_name=settings.name,
                     internal=True, changes=changed)
    return settings


def _shown(value) -> str:
    """A setting as the audit log shows it: a flag as 有効 / 無効, a number without its decimal point."""
    if isinstance(value, bool):
        return t("audit.on") if value else t("audit.off")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def set_company_two_factor(actor: User, company_id: str, *, required: bool) -> Company:
    """このクライアントのアカウントに2段階認証を必須にする (the agency admin only); sign-in enforces it.
    Raises Forbidden, NotFound."""
    permissions.authorize(actor, permissions.SETTINGS_EDIT, company_id=company_id)
    company = Company.find(company_id) if is_id(company_id) else None
    if company is None:
        raise NotFound()
    if bool(company.require_two_factor) == required:
        return company
    old = _shown(bool(company.require_two_factor))
    company.update(actions=[Company.require_two_factor.set(required)], condition=Company.pk.exists())
    audit.record("company_two_factor_changed", actor=actor, target=f"company:{company_id}", target_name=company.name,
                 company_id=company_id, changes={"require_two_factor": {"old": old, "new": _shown(required)}})
    return company
