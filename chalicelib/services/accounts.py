"""Accounts: registering, editing, deactivating, re-sending the login guidance, unlocking.

Every function that acts for a person takes the acting ``actor`` first and checks the
permission table before touching anything.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.adapters import config
from chalicelib.messages import ROLE_LABELS, t
from chalicelib.models.base import TransactionFailed, is_condition_failure, transact, unavailable
from chalicelib.models.companies import Company
from chalicelib.models.events import AccountEvent
from chalicelib.models.notifications import MailSuppression
from chalicelib.models.users import (ACCOUNTS_PAGE_SIZE, AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER,
                                     AdminCount, User)
from chalicelib.services import audit, mail, passwords, permissions, throttle
from chalicelib.services import validation as v
from chalicelib.clock import utcnow
from chalicelib.errors import Conflict, Invalid, NotFound, ServiceUnavailable
from chalicelib.services.history import record

log = logging.getLogger(__name__)

EDITABLE = ("name", "kana", "phone", "email")


@dataclass
class NewAccount:
    user: User
    temporary_password: str
    mail_sent: bool


@dataclass
class Changed:
    """An account after a change the account is mailed about, and whether that mail left."""
    user: User
    mail_sent: bool


@dataclass
class AccountForm:
    """The fields of the アカウント登録 / edit form, as typed (so a refused form keeps them)."""

    user_id: str = ""
    name: str = ""
    kana: str = ""
    phone: str = ""
    email: str = ""
    role: str = ""  # 権限, on the agency's staff form only: "admin" registers a further 管理者

    def cleaned(self, *, with_user_id: bool) -> tuple[dict[str, str], v.FieldErrors]:
        errors = v.FieldErrors()
        values = {
            "name": v.clean_name(self.name, errors),
            "kana": v.clean_kana(self.kana, errors),
            "phone": v.clean_phone(self.phone, errors),
            "email": v.clean_email(self.email, errors),
        }
        if with_user_id:
            values["user_id"] = v.clean_user_id(self.user_id, errors)
        return values, errors


@dataclass
class AccountDetail:
    user: User
    history: list[AccountEvent] = field(default_factory=list)
    locked_until: datetime | None = None
    mail_stopped: MailSuppression | None = None  # SES reported the address bouncing or complaining


def _new_user(values: dict[str, str], *, role: str, company_id: str | None, now: datetime) -> tuple[User, str]:
    temporary = passwords.generate_temporary_password()
    user = User.new(
        user_id=values["user_id"], name=values["name"], kana=values.get("kana", ""), phone=values.get("phone", ""),
        email=values["email"], role=role, company_id=company_id,
        password_hash=passwords.hash_password(temporary, config.bcrypt_rounds()),
        must_change_password=True, temp_password_expires_at=now + timedelta(days=config.temp_password_days()),
        created_at=now,
    )
    return user, temporary


def _store_client_account(values: dict[str, str], company: Company, now: datetime) -> tuple[User, str]:
    """Create a company's account; the first one becomes its client admin, atomically.

    Two first registrations at once cannot both become admin: the admin is written in the same
    transaction as a condition on the company. Raises Conflict when the user ID is taken.
    """
    if company.admin_user_id is None:
        user, temporary = _new_user(values, role=CLIENT_ADMIN, company_id=company.company_id, now=now)
        counter = AdminCount(*AdminCount.keys(company.company_id), scope=company.company_id)

        def write(tx):
            tx.save(user, condition=User.pk.does_not_exist(), label="user")
            tx.update(company, [Company.admin_user_id.set(user.user_id)],
                      condition=Company.admin_user_id.does_not_exist(), label="company_admin")
            # The company's first admin: its counter starts here (ADD creates it at 1).
            tx.update(counter, [AdminCount.count.add(1), AdminCount.scope.set(company.company_id)],
                      label="admins")

        try:
            transact(write)  # ServiceUnavailable when DynamoDB could not answer
            return user, temporary
        except TransactionFailed as error:
            if error.failed("user"):
                raise Conflict("user ID taken") from None
            if not error.failed("company_admin"):
                raise
            # Someone else's registration made the admin first: this one is a member.
    user, temporary = _new_user(values, role=CLIENT_MEMBER, company_id=company.company_id, now=now)
    _create(user)
    return user, temporary


def _create(user: User) -> None:
    try:
        user.create()
    except PutError as error:
        if is_condition_failure(error):
            raise Conflict("user ID taken") from None
        if unavailable(error):
            raise ServiceUnavailable("DynamoDB did not store the account") from error
        raise


def _send_guidance(user: User, temporary: str) -> bool:
    try:
        mail.send_login_guidance(user, temporary, user.temp_password_expires_at)
        return True
    except ServiceUnavailable:
        log.error("login guidance mail not sent", extra={"user_id": user.user_id})
        return False


def register_account(actor: User, form: AccountForm, *, company_id: str, now: datetime | None = None) -> NewAccount:
    """アカウント登録 in a client company; its first account becomes the company's client admin.

    Raises Invalid (field errors; the caller keeps the input), NotFound, Forbidden.
    """
    permissions.authorize(actor, permissions.ACCOUNT_CREATE, company_id=company_id)
    company = Company.find(company_id)
    if company is None:
        raise NotFound()
    now = now or utcnow()
    values = _validated(actor, form, now)
    try:
        user, temporary = _store_client_account(values, company, now)
    except Conflict:
        _taken(actor, values["user_id"], now)
    return _welcome(user, temporary, actor, now)


def register_staff(actor: User, form: AccountForm, *, now: datetime | None = None) -> NewAccount:
    """An agency account: 担当者, or a further 管理者 when the form's 権限 says ``admin``.
    Raises Invalid, Forbidden, NotFound."""
    permissions.authorize(actor, permissions.STAFF_MANAGE, agency_target=True)
    now = now or utcnow()
    values = _validated(actor, form, now)
    role = AGENCY_ADMIN if form.role == "admin" else AGENCY_STAFF
    user, temporary = _new_user(values, role=role, company_id=None, now=now)
    try:
        _create(user)
    except Conflict:
        _taken(actor, values["user_id"], now)
    return _welcome(user, temporary, actor, now)


def _validated(actor: User, form: AccountForm, now: datetime) -> dict[str, str]:
    """The form's values, or Invalid. Whether the ID is taken is the one answer that tells
    something about other companies and the agency, so it is given last: only for a form that
    is otherwise valid, within the asking account's hourly allowance, and recorded."""
    values, errors = form.cleaned(with_user_id=True)
    if errors:
        raise Invalid(dict(errors))
    try:
        throttle.check_taken_id_answers(actor.user_id, now)
    except throttle.TakenIdLimited:
        raise Invalid({"user_id": t("account.user_id_check_limited")}) from None
    # Looked up by the account's keys, which fold case as sign-in does (the conditional write
    # still decides races, through _taken too).
    if User.find(values["user_id"]) is not None:
        _taken(actor, values["user_id"], now)
    return values


def _taken(actor: User, user_id: str, now: datetime):
    """Refuse a taken ``user_id``: counted against ``actor``'s allowance and written to the
    history of ``actor``'s account (who, when, which ID), which the agency admin reads."""
    try:
        throttle.spend_taken_id_answer(actor.user_id, now)
    except throttle.TakenIdLimited:
        raise Invalid({"user_id": t("account.user_id_check_limited")}) from None
    try:
        record(actor, "user_id_taken", actor, at=now, changes={"user_id": {"old": "", "new": user_id}})
    except PutError:  # the audit never blocks the answer it records
        log.error("taken user ID refusal not recorded", extra={"actor_id": actor.user_id})
    raise Invalid({"user_id": t("account.user_id_taken")})


def _welcome(user: User, temporary: str, actor: User | None, now: datetime) -> NewAccount:
    record(user, "created", actor, at=now)
    audit.record_account("account_created", user, actor, at=now,
           changes={"role": {"old": "", "new": ROLE_LABELS[user.role]}, "email": {"old": "", "new": user.email}})
    return NewAccount(user=user, temporary_password=temporary, mail_sent=_send_guidance(user, temporary))


def ensure_agency_admin(user_id: str, email: str) -> NewAccount | None:
    """Create the first agency admin unless that account exists; None when it already does."""
    if User.find(user_id) is not None:
        return None
    now = utcnow()
    user, temporary = _new_user({"user_id": user_id, "name": t("account.first_admin_name"), "email": email},
                                role=AGENCY_ADMIN, company_id=None, now=now)
    try:
        _create(user)
    except Conflict:
        return None
    return _welcome(user, temporary, None, now)


def _target(actor: User, user_id: str, action: str) -> User:
    user = User.find(user_id)
    if user is None:
        raise NotFound()
    permissions.authorize(actor, action, company_id=user.company_id, agency_target=user.is_agency)
    return user


def list_accounts(actor: User, *, company_id: str | None, after: str | None = None,
                  limit: int = ACCOUNTS_PAGE_SIZE) -> tuple[list[User], str | None]:
    """A company's accounts (the agency's when ``company_id`` is None) by user ID, a page at a
    time: the page and the cursor of the next one (None: no more)."""
    if company_id is None:
        permissions.authorize(actor, permissions.ACCOUNT_LIST, agency_target=True)
    else:
        permissions.authorize(actor, permissions.ACCOUNT_LIST, company_id=company_id)
    return User.members_page(company_id, limit=limit, after=after)


def account_detail(actor: User, user_id: str) -> AccountDetail:
    """The account; for the agency also its history and any login lock."""
    user = _target(actor, user_id, permissions.ACCOUNT_VIEW)
    if not actor.is_agency:
        return AccountDetail(user=user)
    stopped = MailSuppression.find(user.email)
    if not permissions.can(actor, permissions.ACCOUNT_HISTORY):
        return AccountDetail(user=user, mail_stopped=stopped)
    user, history = User.with_history(user_id)
    locked = throttle.locked_until(user_id, utcnow())
    return AccountDetail(user=user, history=history, locked_until=locked, mail_stopped=stopped)


def edit_account(actor: User, user_id: str, form: AccountForm, *, version: int) -> User:
    """Change name, kana, phone, e-mail. Raises Invalid, Conflict (someone saved first), NotFound."""
    user = _target(actor, user_id, permissions.ACCOUNT_EDIT)
    values, errors = form.cleaned(with_user_id=False)
    if errors:
        raise Invalid(dict(errors))
    if user.version != version:
        raise Conflict("edited meanwhile")
    changes = {name: {"old": getattr(user, name), "new": values[name]}
               for name in EDITABLE if getattr(user, name) != values[name]}
    if changes:
        try:
            user.update(actions=[action for name in changes for action in (
                User.email_actions(values[name]) if name == "email" else [getattr(User, name).set(values[name])])])
        except UpdateError as error:
            if is_condition_failure(error):
                raise Conflict("edited meanwhile") from None
            raise
        record(user, "updated", actor, changes=changes)
        audit.record_account("account_changed", user, actor, changes=changes)
    return user


def set_active(actor: User, user_id: str, *, active: bool, now: datetime | None = None) -> Changed:
    """Deactivate (every session ends at once; history stays) or reactivate an account, and mail
    the account what changed (a deactivated person learns why the login stopped working).

    Raises Invalid at ``_form`` for one's own account, or for the last active admin of its side.
    """
    now = now or utcnow()
    user = _target(actor, user_id, permissions.ACCOUNT_DEACTIVATE)
    if user.user_id.lower() == actor.user_id.lower():
        raise Invalid({"_form": t("account.cannot_deactivate_self")})
    if user.active == active:
        return Changed(user, mail_sent=False)
    actions = [User.active.set(active)]
    if not active:
        actions.append(User.session_epoch.add(1))
    if user.is_admin:
        _admin_change(user, actions, condition=User.active == (not active), leaving=not active, field="_form")
    else:
        user.update(actions=actions)
    record(user, "reactivated" if active else "deactivated", actor, at=now)
    labels = (t("account.active"), t("account.inactive"))
    old, new = labels if not active else labels[::-1]
    audit.record_account("account_reactivated" if active else "account_deactivated", user, actor, at=now,
           changes={"active": {"old": old, "new": new}})
    return Changed(user, _mail_change(user, (t("account.status_label"), old, new), actor, now))


def _mail_change(user: User, change: tuple[str, str, str], actor: User, now: datetime) -> bool:
    """アカウントの変更 mail for one (label, old, new); False when SES could not take it (the
    change itself stands, and the page says the mail did not leave)."""
    try:
        mail.send_account_changed(user, changes=[change], actor=actor, at=now)
        return True
    except ServiceUnavailable:
        log.error("account change mail not sent", extra={"user_id": user.user_id, "change": change[0]})
        return False


ROLE_FIELD = "role"


def _admin_change(user: User, actions: list, *, condition, leaving: bool, field: str) -> None:
    """Change ``user`` (``actions``, on the item as read: its version, and ``condition``) and its
    side's admin counter in one transaction. ``leaving``: an active admin stops being one, which
    only goes through while another remains (``count > 1``). Raises Invalid at ``field`` for
    the last admin, Conflict when the account changed meanwhile."""
    counter = AdminCount.ensure(user.company_id)

    def write(tx):
        tx.update(user, actions, condition=condition, label="user")
        if leaving:
            tx.update(counter, [AdminCount.count.add(-1)], condition=AdminCount.count > 1, label="admins")
        else:
            tx.update(counter, [AdminCount.count.add(1)], condition=AdminCount.pk.exists(), label="admins")

    try:
        transact(write)
    except TransactionFailed as error:
        if error.failed("user"):
            raise Conflict("account changed meanwhile") from None
        if error.failed("admins"):
            raise Invalid({field: t("account.last_admin_agency" if user.is_agency else "account.last_admin")}) from None
        raise


def set_admin(actor: User, user_id: str, *, admin: bool, now: datetime | None = None) -> Changed:
    """権限: make an account its side's admin (管理者) or take that back (担当者 / 一般).

    A client admin does this for its own company's accounts; the agency admin for any company's
    and for the agency's own (further agency admins, staff made admins and back). Each side
    keeps at least one active admin, enforced by the counter's condition in the same transaction
    (two demotions at once cannot both succeed). Every change is written to the account's
    history and mailed to the account. Raises Invalid at ``role``, Conflict, Forbidden, NotFound.
    """
    now = now or utcnow()
    user = _target(actor, user_id, permissions.ACCOUNT_ROLE)
    if user.is_admin == admin:
        return Changed(user, mail_sent=False)
    if admin and not user.active:
        raise Invalid({ROLE_FIELD: t("account.role_inactive")})
    old_role = user.role
    new_role = (AGENCY_ADMIN if admin else AGENCY_STAFF) if user.is_agency else (CLIENT_ADMIN if admin else CLIENT_MEMBER)
    # Only an active admin counts: an inactive one's role changes without the counter.
    condition = (User.role == old_role) & (User.active == bool(user.active))
    if user.active:
        _admin_change(user, [User.role.set(new_role)], condition=condition, leaving=not admin, field=ROLE_FIELD)
    else:
        try:
            user.update(actions=[User.role.set(new_role)], condition=condition)
        except UpdateError as error:
            if is_condition_failure(error):
                raise Conflict("account changed meanwhile") from None
            raise
    user.role = new_role
    changes = {"role": {"old": ROLE_LABELS[old_role], "new": ROLE_LABELS[new_role]}}
    try:
        record(user, "role_changed", actor, at=now, changes=changes)
    except PutError:  # the audit never blocks the change it records
        log.error("role change not recorded", extra={"user_id": user.user_id})
    audit.record_account("role_changed", user, actor, at=now, changes=changes)
    return Changed(user, _mail_change(user, (t("account.role_label"), ROLE_LABELS[old_role], ROLE_LABELS[new_role]),
                                      actor, now))


def resend_guidance(actor: User, user_id: str, *, now: datetime | None = None) -> NewAccount:
    """A new temporary password (the old one stops working) and a new ログインのご案内."""
    now = now or utcnow()
    user = _target(actor, user_id, permissions.ACCOUNT_RESEND_GUIDANCE)
    temporary = passwords.generate_temporary_password()
    user.update(actions=[
        User.password_hash.set(passwords.hash_password(temporary, config.bcrypt_rounds())),
        User.must_change_password.set(True),
        User.temp_password_used.set(False),
        User.temp_password_expires_at.set(now + timedelta(days=config.temp_password_days())),
        User.session_epoch.add(1),
    ])
    record(user, "guidance_resent", actor, at=now)
    audit.record_account("guidance_resent", user, actor, at=now)  # which password is the mail's business, never the log's
    return NewAccount(user=user, temporary_password=temporary, mail_sent=_send_guidance(user, temporary))


def resume_mail(actor: User, user_id: str) -> None:
    """配信を再開: mail goes to the account's address again after SES reported it bouncing or
    complaining (the client fixed its mailbox). Changing the address does the same by itself."""
    user = _target(actor, user_id, permissions.ACCOUNT_MAIL)
    stopped = MailSuppression.find(user.email)
    if stopped is not None:
        stopped.delete()
        record(user, "mail_resumed", actor)
        audit.record_account("mail_resumed", user, actor)


def unlock(actor: User, user_id: str) -> None:
    user = _target(actor, user_id, permissions.ACCOUNT_UNLOCK)
    if throttle.clear(user_id):
        record(user, "unlocked", actor)
        audit.record_account("account_unlocked", user, actor)
