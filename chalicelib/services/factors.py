"""2段階認証: an account's authenticator app (TOTP, RFC 6238), its recovery codes, and the reset.

Passkeys live in services/passkeys.py; both kinds are items of the account's ``MFA#`` partition
(models/factors.py) and either sets ``User.two_factor``. pyotp and segno are imported on first use:
most requests never need them, and a cold start should not pay for them.
"""
from __future__ import annotations

import hashlib
import logging
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.clock import utcnow
from chalicelib.errors import Conflict, Invalid, NotFound, ServiceUnavailable
from chalicelib.messages import t
from chalicelib.models.base import is_condition_failure, partition_read
from chalicelib.models.factors import Passkey, TotpFactor, factors_partition
from chalicelib.models.users import User
from chalicelib.services import agency, audit, permissions
from chalicelib.services import validation as v
from chalicelib.services.history import record

TOTP_DIGITS = 6
TOTP_INTERVAL = 30  # seconds, RFC 6238's default and what every authenticator app assumes
TOTP_WINDOW = 1  # a code of the step before or after is accepted too (a phone's clock drifts)
RECOVERY_CODES = 10
# Letters and digits that cannot be misread for one another (no 0/o, 1/l/i), 10 of them: ~49 bits.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_LENGTH = 10
CODE_INPUT_MAX = 40

log = logging.getLogger(__name__)


@dataclass
class Factors:
    """What an account has set up: its authenticator app (confirmed or half-way) and its passkeys."""

    totp: TotpFactor | None = None
    passkeys: list[Passkey] = field(default_factory=list)

    @property
    def app(self) -> TotpFactor | None:
        """The authenticator app, once a code from it was confirmed."""
        return self.totp if self.totp is not None and self.totp.confirmed else None

    @property
    def recovery_left(self) -> int:
        return len(self.app.recovery_hashes or ()) if self.app else 0

    @property
    def count(self) -> int:
        return (1 if self.app else 0) + len(self.passkeys)


def of(user: User) -> Factors:
    """The account's factors: one query of its MFA# partition."""
    found = Factors()
    classify = lambda sort_key: TotpFactor if sort_key == "TOTP" else Passkey if sort_key.startswith("PASSKEY#") else None  # noqa: E731
    for item in partition_read(factors_partition(user.user_id), classify):
        if isinstance(item, TotpFactor):
            found.totp = item
        elif isinstance(item, Passkey):
            found.passkeys.append(item)
    found.passkeys.sort(key=lambda key: key.created_at)
    return found


def required(user: User) -> bool:
    """Whether the agency (for its own accounts) or the account's company requires a second factor."""
    if user.is_agency:
        return bool(agency.settings().require_two_factor)
    from chalicelib.models.companies import Company
    company = Company.find(user.company_id) if user.company_id else None
    return bool(company and company.require_two_factor)


# Enrolling the authenticator app.

@dataclass
class TotpSetup:
    secret: str
    uri: str  # otpauth:// for the QR code
    qr_svg: str

    @property
    def key_groups(self) -> list[str]:
        """The key as typed by hand, in groups of four."""
        return [self.secret[i:i + 4] for i in range(0, len(self.secret), 4)]


def start_totp(user: User, *, now: datetime | None = None) -> TotpSetup:
    """The secret to scan: the half-way one of an earlier visit (a reload shows the same QR code),
    else a new one. Raises Conflict when the app is already set up."""
    import pyotp

    now = now or utcnow()
    factor = TotpFactor.find(user.user_id)
    if factor is not None and factor.confirmed:
        raise Conflict("authenticator app already set up")
    if factor is None:
        factor = TotpFactor(*TotpFactor.keys(user.user_id), user_id=user.user_id, secret=pyotp.random_base32(32),
                            confirmed=False, created_at=now)
        try:
            factor.save(condition=TotpFactor.pk.does_not_exist())
        except PutError as error:
            if not is_condition_failure(error):
                raise
            return start_totp(user, now=now)  # another tab made one first: show that one
    return _setup(user, factor.secret)


def _setup(user: User, secret: str) -> TotpSetup:
    import pyotp
    import segno

    uri = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.user_id, issuer_name=agency.settings().name or "Irai")
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff")
    return TotpSetup(secret=secret, uri=uri, qr_svg=svg)


def confirm_totp(user: User, code: str, *, now: datetime | None = None) -> list[str]:
    """Confirm the app with a code from it; returns the ten recovery codes (shown once, stored hashed).
    Every session of the account ends (the caller opens a new one for the one confirming).

    Raises Invalid (field ``code``) for a wrong code or when no enrolment was started (the page
    starts one), Conflict when the app is set up already.
    """
    now = now or utcnow()
    factor = TotpFactor.find(user.user_id)
    if factor is not None and factor.confirmed:
        raise Conflict("authenticator app already set up")
    if factor is None:
        raise Invalid({"code": t("totp.code_wrong")})
    step = _matching_step(factor.secret, _digits(code), now, after=factor.last_step)
    if step is None:
        raise Invalid({"code": t("totp.code_wrong") if code.strip() else t("required")})
    codes = _recovery_codes()
    try:
        factor.update(actions=[TotpFactor.confirmed.set(True), TotpFactor.last_step.set(step),
                               TotpFactor.recovery_hashes.set({_hash(c) for c in codes})],
                      condition=TotpFactor.confirmed == False)  # noqa: E712 (PynamoDB expression)
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("confirmed in another tab") from None
        raise
    # Every other session of the account ends: whoever else held one must now pass the app too.
    user.update(actions=[User.two_factor.set(True), User.session_epoch.add(1)])
    record(user, "second_factor_enrolled", user, at=now)
    audit.record_account("second_factor_enrolled", user, user, changes={"認証アプリ": {"old": "", "new": "登録"}}, at=now)
    return codes


def regenerate_recovery_codes(user: User, *, now: datetime | None = None) -> list[str]:
    """New recovery codes in place of the old ones (all of which stop working)."""
    now = now or utcnow()
    factor = TotpFactor.find(user.user_id)
    if factor is None or not factor.confirmed:
        raise NotFound()
    codes = _recovery_codes()
    factor.update(actions=[TotpFactor.recovery_hashes.set({_hash(c) for c in codes})])
    audit.record_account("recovery_codes_renewed", user, user, at=now)
    return codes


def remove_totp(user: User, *, now: datetime | None = None) -> None:
    """Stop using the authenticator app (and its recovery codes). Refused (Invalid) when it is the
    account's last factor and a second factor is required of it."""
    now = now or utcnow()
    factors = of(user)
    if factors.totp is None:
        return  # removed already (a second click, another tab)
    if factors.app is not None and factors.count == 1 and required(user):
        raise Invalid({"_form": t("second_factor.last_required")})
    factors.totp.delete()
    if factors.app is not None:
        after_removal(user, factors.count - 1, "認証アプリ", "登録", now)


def after_removal(user: User, left: int, what: str, was: str, now: datetime) -> None:
    """Book-keeping after a factor (``what``, shown as ``was``) was removed, ``left`` remaining."""
    if left == 0:
        _set_two_factor(user, False)
    record(user, "second_factor_removed", user, at=now)
    audit.record_account("second_factor_removed", user, user, changes={what: {"old": was, "new": "削除"}}, at=now)


def _set_two_factor(user: User, on: bool) -> None:
    if user.two_factor != on:
        user.update(actions=[User.two_factor.set(on)])


# The second step of a sign-in.

def verify(user: User, typed: str, *, now: datetime | None = None) -> str | None:
    """Check what the second step typed: a code from the app ("totp") or an unused recovery code
    ("recovery"); None if it is neither. Each works once: a code's step must be newer than the
    last accepted one, and a recovery code is removed as it is used, both conditionally, so two
    tabs racing with one code cannot both pass."""
    now = now or utcnow()
    factor = TotpFactor.find(user.user_id)
    if factor is None or not factor.confirmed or len(typed) > CODE_INPUT_MAX:
        return None
    digits = _digits(typed)
    if len(digits) == TOTP_DIGITS:
        step = _matching_step(factor.secret, digits, now, after=factor.last_step)
        if step is None:
            return None
        try:
            factor.update(actions=[TotpFactor.last_step.set(step)], condition=TotpFactor.last_step < step)
        except UpdateError as error:
            if is_condition_failure(error):
                return None  # the same code, used a moment ago
            raise
        return "totp"
    hashed = _hash(_recovery_typed(typed))
    try:
        factor.update(actions=[TotpFactor.recovery_hashes.delete({hashed})],
                      condition=TotpFactor.recovery_hashes.contains(hashed))
    except UpdateError as error:
        if is_condition_failure(error):
            return None
        raise
    return "recovery"


def _matching_step(secret: str, digits: str, now: datetime, *, after: int) -> int | None:
    """The 30-second step, within ±TOTP_WINDOW of now and newer than ``after``, whose code is ``digits``."""
    import pyotp

    if len(digits) != TOTP_DIGITS:
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    current = int(now.timestamp()) // TOTP_INTERVAL
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _digits(typed: str) -> str:
    """A code as people type it: full-width digits folded, spaces and hyphens dropped."""
    folded = v.normalise_width(typed or "")
    return "".join(char for char in folded if char not in " -\u3000\t")


def _recovery_typed(typed: str) -> str:
    return _digits(typed).lower()


def _recovery_codes() -> list[str]:
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


# Reset by an administrator.

def reset(actor: User, user_id: str, *, now: datetime | None = None) -> bool:
    """Remove every factor of another account (it lost its phone): the account signs in with its
    password alone, and must enrol again if it is required to. Every session of the account ends,
    and it is mailed. Returns whether the mail left."""
    from chalicelib.services import mail

    now = now or utcnow()
    user = User.find(user_id)
    if user is None:
        raise NotFound()
    permissions.authorize(actor, permissions.ACCOUNT_SECOND_FACTOR, company_id=user.company_id,
                          agency_target=user.is_agency)
    if user.user_id.lower() == actor.user_id.lower():
        raise Invalid({"_form": t("second_factor.reset_self")})
    factors = of(user)
    if not user.two_factor and factors.count == 0:
        raise Invalid({"_form": t("second_factor.none")})
    for item in [factors.totp, *factors.passkeys]:
        if item is not None:
            item.delete()
    user.update(actions=[User.two_factor.set(False), User.session_epoch.add(1)])
    record(user, "second_factor_reset", actor, at=now)
    audit.record_account("second_factor_reset", user, actor, changes={"2段階認証": {"old": "設定済み", "new": "リセット"}},
                         at=now)
    try:
        mail.send_account_changed(user, changes=[("2段階認証", "設定済み", "リセット")],
                                  actor=actor, at=now)
    except ServiceUnavailable:  # the reset is done; the page says the mail did not leave
        log.error("second factor reset mail not sent", extra={"user_id": user.user_id})
        return False
    return True
