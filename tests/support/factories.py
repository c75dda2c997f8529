"""Test data factories: real models, real table, known passwords."""
from __future__ import annotations

import base64
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import requests as http

from chalicelib.adapters import config
from chalicelib.models.agency import AgencySettings
from chalicelib.models.companies import Company
from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, User
from chalicelib.services import passwords
from tests.support.accounts import PASSWORD
from tests.support.waits import HTTP_TIMEOUT_S

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")  # 1×1


def unique_id(prefix: str = "user") -> str:
    """An id (user ID, name suffix) no other test of the session uses."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def make_user(*, user_id: str | None = None, password: str = PASSWORD, role: str = AGENCY_ADMIN,
              must_change_password: bool = False, **overrides) -> User:
    """An account that can sign in with PASSWORD.

    Agency accounts made here do not get the mail every agency account gets about requests with
    no 担当者 (``mail_unassigned=True`` asks for it): the session's one table gathers hundreds of
    them, and each would be mailed about every request any test files.
    """
    now = datetime.now(timezone.utc)
    if role in (AGENCY_ADMIN, AGENCY_STAFF):
        overrides.setdefault("mail_unassigned", False)
    attributes = dict(
        name="テスト 太郎", kana="テスト タロウ", phone="03-1234-5678",
        email=f"{uuid.uuid4().hex[:8]}@example.com", role=role,
        password_hash=passwords.hash_password(password, config.bcrypt_rounds()),
        must_change_password=must_change_password,
        temp_password_expires_at=now + timedelta(days=7) if must_change_password else None,
        created_at=now,
    )
    attributes.update(overrides)
    user = User.new(user_id=user_id or unique_id("user"), **attributes)
    user.create()
    return user


AGENCY = {"name": "テスト制作所", "phone": "03-0000-1111", "mail_sender_name": "テスト制作所 サポート"}


def complete_agency_settings() -> AgencySettings:
    """The agency's settings as a first start leaves them (complete): client companies exist only
    once the agency said who it is (services.companies.create_company), so the tests' world, which
    makes companies directly, must have said it too. Leaves settings that are complete as they are."""
    settings = AgencySettings.load()
    if not settings.complete:
        for name, value in AGENCY.items():
            if settings.version is None or not (getattr(settings, name) or "").strip():
                setattr(settings, name, value)
        settings.save()
    return settings


@contextmanager
def first_start():
    """The table as a fresh stage has it: no agency settings saved. Put back afterwards."""
    before = AgencySettings.load()
    before.delete()
    try:
        yield
    finally:
        restored = AgencySettings.load()
        restored.name, restored.phone = before.name, before.phone
        restored.mail_sender_name, restored.client_reopen_days = before.mail_sender_name, before.client_reopen_days
        restored.colour = before.colour
        restored.save()


def make_company(name: str = "株式会社テスト") -> Company:
    complete_agency_settings()
    company = Company.new(name=name, created_at=datetime.now(timezone.utc))
    company.save()
    return company


def register(actor: User, company: Company | None, *, user_id: str | None = None, name: str = "山田 花子",
             email: str | None = None):
    """An account registered the way the app does it (guidance mail included)."""
    from chalicelib.services import accounts

    user_id = user_id or unique_id("acct")
    form = accounts.AccountForm(user_id=user_id, name=name, kana="ヤマダ ハナコ", phone="03-1234-5678",
                                email=email or f"{user_id}@example.com")
    if company is None:
        return accounts.register_staff(actor, form)
    return accounts.register_account(actor, form, company_id=company.company_id)


def make_client(company: Company, *, role: str = "client_member", **overrides) -> User:
    """A client account of ``company`` that can sign in with PASSWORD straight away.

    A client admin made here is recorded as the company's admin, as registration would do.
    """
    user = make_user(role=role, company_id=company.company_id, **overrides)
    if role == "client_admin":
        Company(*Company.keys(company.company_id)).update(actions=[Company.admin_user_id.set(user.user_id)])
    return user


def make_request(actor: User, *, title: str = "トップページの文言変更", body: str = "お知らせの文言を変えてください。",
                 **overrides):
    from chalicelib.services import requests

    return requests.create_request(actor, requests.RequestForm(title=title, body=body, **overrides))


def give_password(user: User, password: str = PASSWORD) -> None:
    """Let an account registered by the app (with a temporary password) sign in with ``password``."""
    user.update(actions=[User.password_hash.set(passwords.hash_password(password, config.bcrypt_rounds())),
                         User.must_change_password.set(False)])


def upload(actor: User, name: str, data: bytes, content_type: str, request_id: str | None = None, **options) -> str:
    """What the browser does with a file: ask for a slot, then POST the file straight to S3."""
    from chalicelib.services import attachments

    slot = attachments.start_upload(actor, name=name, size=len(data), content_type=content_type, request_id=request_id,
                                    **options)
    response = http.post(slot.url, data=slot.fields, files={"file": (name, data, content_type)},
                         timeout=HTTP_TIMEOUT_S)
    assert response.status_code in (200, 204), response.text
    return slot.upload_id
