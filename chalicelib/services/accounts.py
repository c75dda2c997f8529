"""Creating accounts and the first agency admin."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from chalicelib.adapters import config
from chalicelib.models.users import AGENCY_ADMIN, User
from chalicelib.services import mail, passwords
from chalicelib.services.auth import utcnow
from chalicelib.services.errors import Conflict, ServiceUnavailable

log = logging.getLogger(__name__)


@dataclass
class NewAccount:
    user: User
    temporary_password: str
    mail_sent: bool


def create_account(*, user_id: str, name: str, email: str, role: str, company_id: str | None = None,
                   kana: str = "", phone: str = "", now: datetime | None = None) -> NewAccount:
    """Store an account with a fresh temporary password and send ログインのご案内.

    Raises Conflict when the user ID is taken (checked by a conditional write, so two
    simultaneous registrations of one ID cannot both succeed). A mail that cannot be sent is
    reported through ``mail_sent`` rather than undoing the account.
    """
    now = now or utcnow()
    temporary = passwords.generate_temporary_password()
    expires_at = now + timedelta(days=config.temp_password_days())
    user = User.new(
        user_id=user_id, name=name, kana=kana, phone=phone, email=email, role=role,
        company_id=company_id, password_hash=passwords.hash_password(temporary, config.bcrypt_rounds()),
        must_change_password=True, temp_password_expires_at=expires_at, created_at=now,
    )
    try:
        user.create()
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("user ID taken") from None
        raise
    try:
        mail.send_login_guidance(user, temporary, expires_at)
        mail_sent = True
    except ServiceUnavailable:
        log.error("login guidance mail not sent", extra={"user_id": user.user_id})
        mail_sent = False
    return NewAccount(user=user, temporary_password=temporary, mail_sent=mail_sent)


def ensure_agency_admin(user_id: str, email: str) -> NewAccount | None:
    """Create the first agency admin unless that account exists; None when it already does."""
    if User.find(user_id) is not None:
        return None
    try:
        return create_account(user_id=user_id, name="管理者", email=email, role=AGENCY_ADMIN)
    except Conflict:
        return None
