"""Signing in and out, server-side sessions, and password changes."""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, PutError, PynamoDBException, UpdateError

from chalicelib.adapters import afterwards, config
from chalicelib.messages import t
from chalicelib.models import agency as agency_model
from chalicelib.models.agency import AgencySettings
from chalicelib.models.base import batch_read, is_condition_failure
from chalicelib.adapters.ses import SendFailed
from chalicelib.models.security import RESET_DONE, RESET_FAILED, PasswordReset, ResetMailRequest
from chalicelib.models.sessions import Session
from chalicelib.models.users import User
from chalicelib.services import audit, factors, mail, passwords, throttle
from chalicelib.services import validation as v
from chalicelib.clock import utcnow
from chalicelib.errors import AuthenticationFailed, Conflict, Invalid
from chalicelib.services.history import record
from chalicelib.services.throttle import Throttled  # noqa: F401  (raised by login; callers catch it here)

log = logging.getLogger(__name__)

USER_ID_MAX = 64  # longer than any account's ID (32): refused before any lookup
RESET_INPUT_MAX = 254  # the reset form takes an ID or an address (an address is at most 254)

# last_seen_at is written at most this often, so reading a page is not a write every time.
_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass
class SignedIn:
    """A live session and its user. ``token`` is set only when a new cookie must be sent."""

    session: Session
    user: User
    token: str | None = None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def login(user_id: str, password: str, *, address: str = "", now: datetime | None = None) -> SignedIn:
    """Check the credentials and open a new session.

    Raises AuthenticationFailed with no hint of whether the ID exists, and Throttled when the
    ID or the client address has failed too often. A temporary password works once and only
    until it expires.
    """
    now = now or utcnow()
    user_id = v.typed_user_id(user_id)  # as the account form reads it: widths folded, trimmed
    if not user_id or len(user_id) > USER_ID_MAX:
        raise AuthenticationFailed()
    failures = throttle.check(user_id, address, now)
    user = User.find(user_id)
    if user is None:
        passwords.verify_password(password, passwords.dummy_hash(config.bcrypt_rounds()))
        ok = False
    else:
        ok = passwords.verify_password(password, user.password_hash) and user.active and _temporary_valid(user, now)
    if not ok:
        _failed(user_id, user, address, now, "login_failed")
        raise AuthenticationFailed()
    if user.must_change_password:
        _consume_temporary_password(user)
    if user.two_factor:
        # The counters stay until the second step passes: a right password must not buy an
        # attacker fresh guesses at the code.
        return _open_session(user, now, pending=True)
    throttle.clear(user_id, failures)
    audit.record_account("login_succeeded", user, user, at=now)
    return _open_session(user, now, enrol_required=factors.required(user))


def _failed(typed: str, user: User | None, address: str, now: datetime, kind: str) -> None:
    """Count a failed password or code towards the throttle (services/throttle.py), and audit it."""
    locked = throttle.record_failure(typed, address, now)
    if user is not None:
        audit.record_account(kind, user, user, at=now)
    else:  # no such account: the entry keeps what was typed
        audit.record(kind, typed_id=typed, internal=True, at=now)
    if locked and user is not None:
        record(user, "locked", None, at=now)
        audit.record_account("login_locked", user, None, at=now)


def second_step(pending: SignedIn, typed: str, *, address: str = "", now: datetime | None = None) -> tuple[SignedIn, str]:
    """The second step of a sign-in: a code from the authenticator app or a recovery code.

    Returns the full session (the pending one is gone) and which was used ("totp", "recovery").
    Raises AuthenticationFailed for a wrong code and Throttled as ``login`` does: the code's
    failures count with the password's, per ID and address.
    """
    now = now or utcnow()
    if not pending.session.pending:
        raise AuthenticationFailed()
    user = pending.user
    counters = throttle.check(user.user_id, address, now)
    used = factors.verify(user, typed, now=now)
    if used is None:
        _failed(user.user_id, user, address, now, "second_factor_failed")
        raise AuthenticationFailed()
    throttle.clear(user.user_id, counters)
    audit.record_account("recovery_code_used" if used == "recovery" else "second_factor_used", user, user, at=now)
    pending.session.delete()
    return _open_session(user, now), used


def passkey_sign_in(user: User, *, pending: SignedIn | None = None, now: datetime | None = None) -> SignedIn:
    """A full session after a passkey answered (services/passkeys.py checked it): in place of the
    second step of ``pending``, or in place of the password altogether."""
    now = now or utcnow()
    if not user.active or (pending is None and user.must_change_password):
        raise AuthenticationFailed()  # a temporary password is changed first, signed in with it
    if pending is not None:
        pending.session.delete()
    throttle.clear(user.user_id)
    audit.record_account("passkey_login" if pending is None else "second_factor_used", user, user,
                         changes={"方法": {"old": "", "new": "パスキー"}}, at=now)
    return _open_session(user, now)


def renew(signed_in: SignedIn, user: User, *, now: datetime | None = None) -> SignedIn:
    """A new session in place of ``signed_in`` after its account's factors changed (every other
    session ended with the account's session_epoch): no session fixation, no stale flags."""
    now = now or utcnow()
    signed_in.session.delete()
    return _open_session(user, now)


def _temporary_valid(user: User, now: datetime) -> bool:
    if not user.must_change_password:
        return True
    expired = user.temp_password_expires_at is not None and user.temp_password_expires_at <= now
    return not user.temp_password_used and not expired


def _consume_temporary_password(user: User) -> None:
    """Mark the temporary password used; of two simultaneous logins with it, one wins."""
    try:
        user.update(
            actions=[User.temp_password_used.set(True)],
            condition=User.temp_password_used == False,  # noqa: E712 (PynamoDB expression)
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise AuthenticationFailed() from None
        raise


# A session token is 256 random bits, then TOKEN_SEPARATOR and the account's user ID: the ID is not
# a secret (the hash of the whole token is the session's key, and the session names its account),
# it lets resume() read the session and the account in one BatchGetItem instead of one after the other.
TOKEN_SEPARATOR = "."


# A session between the password and the second factor: minutes, enough to open the app.
PENDING_MINUTES = 10


def _open_session(user: User, now: datetime, *, pending: bool = False, enrol_required: bool = False) -> SignedIn:
    token = secrets.token_urlsafe(32) + TOKEN_SEPARATOR + user.user_id  # 256 random bits (urlsafe: no ".")
    absolute = now + (timedelta(minutes=PENDING_MINUTES) if pending else timedelta(hours=config.session_absolute_hours()))
    session = Session.new(
        pending=pending,
        enrol_required=enrol_required and not user.two_factor,
        token_hash=_hash_token(token),
        user_id=user.user_id,
        csrf_token=secrets.token_urlsafe(32),
        session_epoch=user.session_epoch,
        created_at=now,
        last_seen_at=now,
        absolute_expires_at=absolute,
    )
    session.expire_at(min(absolute, now + timedelta(minutes=config.session_idle_minutes())))
    try:
        session.save(condition=Session.pk.does_not_exist())
    except PutError as error:  # a 256-bit collision is not expected; never reuse a session
        raise Conflict("session token collision") from error
    return SignedIn(session=session, user=user, token=token)


def resume(token: str, *, now: datetime | None = None) -> SignedIn | None:
    """The session for a cookie value, or None if it is unknown, expired or revoked."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    session, user = _session_and_user(token)
    if session is None:
        return None
    idle_limit = session.last_seen_at + timedelta(minutes=config.session_idle_minutes())
    if now >= session.absolute_expires_at or now >= idle_limit:
        session.delete()
        return None
    if user is None or user.user_id.lower() != session.user_id.lower():
        user = User.find(session.user_id)  # a token from before the ID was part of it
    if user is None or not user.active or user.session_epoch != session.session_epoch:
        session.delete()
        return None
    if now - session.last_seen_at >= _TOUCH_INTERVAL:
        new_expiry = min(session.absolute_expires_at, now + timedelta(minutes=config.session_idle_minutes()))
        session.update(actions=[Session.last_seen_at.set(now), Session.expires_at.set(int(new_expiry.timestamp()))])
    return SignedIn(session=session, user=user)


def _session_and_user(token: str) -> tuple[Session | None, User | None]:
    """The session of ``token`` and the account the token names, in one strongly consistent
    BatchGetItem, with the agency's settings when this container's copy is due (pages show them;
    services.agency.settings): the call a signed-in page spends before its own work."""
    _, separator, user_id = token.partition(TOKEN_SEPARATOR)
    wanted = [(Session, Session.keys(_hash_token(token)))]
    if separator and user_id:
        wanted.append((User, User.keys(user_id)))
    refresh, since = agency_model.KEPT.stale(), agency_model.KEPT.generation
    if refresh:
        wanted.append((AgencySettings, AgencySettings.KEYS))
    found = {type(item): item for item in batch_read(wanted)}
    if refresh:
        agency_model.KEPT.keep(found.get(AgencySettings) or AgencySettings(*AgencySettings.KEYS), since=since)
    return found.get(Session), found.get(User)


def logout(signed_in: SignedIn) -> None:
    signed_in.session.delete()


def change_password(signed_in: SignedIn, *, current: str, new: str, confirm: str,
                    now: datetime | None = None) -> SignedIn:
    """Set a new password, end every other session of the account, and open a fresh one.

    Raises Invalid with field errors (fields current_password, new_password,
    new_password_confirm); raises Conflict if the account changed meanwhile.
    """
    now = now or utcnow()
    user = signed_in.user
    errors = passwords.validate_new_password(user_id=user.user_id, new=new, confirm=confirm, current=current)
    if not current:
        errors["current_password"] = t("required")
    elif not passwords.verify_password(current, user.password_hash):
        errors["current_password"] = t("password.current_wrong")
    if errors:
        raise Invalid(errors)
    try:
        user.update(actions=_new_password(new))
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("account changed meanwhile") from None
        raise
    record(user, "password_changed", user, at=now)
    audit.record_account("password_changed", user, user, at=now)
    signed_in.session.delete()  # a new token after a privilege change: no session fixation
    return _open_session(user, now, enrol_required=signed_in.session.enrol_required)



def _new_password(new: str) -> list:
    """The writes of a password set by its owner (a change or a reset): it ends every session and
    every outstanding reset link (session_epoch), and any temporary password."""
    return [User.password_hash.set(passwords.hash_password(new, config.bcrypt_rounds())),
            User.must_change_password.set(False), User.temp_password_expires_at.remove(), User.session_epoch.add(1)]


# Password reset by e-mail link.

_RESET_RESEND_GAP = timedelta(minutes=1)
_RESET_MAIL_LEASE = timedelta(minutes=5)  # longer than the Lambda timeout: a live sender keeps its claim
_RESET_MAIL_RETRIES = (timedelta(minutes=1), timedelta(minutes=5))  # then it fails for good, logged
_RESET_MAIL_BATCH = 50
# Of the every-minute run (30 s Lambda timeout), before the outbox's own 20 (services.notifications).
_RESET_MAIL_RUN_SECONDS = 4


def request_password_reset(typed: str, *, now: datetime | None = None) -> None:
    """Queue one-time reset links for ``typed``, a user ID or an e-mail address, whether or not
    any account has it.

    The caller shows the same answer either way, and this makes the same single write either way
    (one conditional put of a ResetMailRequest, keyed by what was typed), so neither the answer
    nor the time it takes tells which IDs or addresses exist. The sender (``deliver_reset_mails``:
    in AWS the every-minute schedule, locally right after the answer is sent, see
    adapters.afterwards) looks the ID or the address up and mails the links only to active
    accounts: an address with several accounts gets one mail listing each ID with its own link.
    At most one request per ID or address a minute is queued: the form must not become a way to
    flood an inbox.
    """
    now = now or utcnow()
    typed = v.normalise_width(typed).strip()
    if not 0 < len(typed) <= RESET_INPUT_MAX:
        return
    user_id = typed
    queued = ResetMailRequest.new(user_id=user_id, requested_at=now)
    try:
        queued.save(condition=ResetMailRequest.pk.does_not_exist()
                    | (ResetMailRequest.requested_at < now - _RESET_RESEND_GAP))
    except PutError as error:
        if is_condition_failure(error):
            return  # asked within the last minute: that request's mail is the one
        raise
    if config.mail_delivery() == "inline":  # after the answer, which must not wait for it
        afterwards.later(lambda: _deliver_inline(queued, now))


def _deliver_inline(queued: ResetMailRequest, now: datetime) -> None:
    try:
        deliver_reset_mails([queued], now=now)
    except PynamoDBException:  # never fails the form: the schedule's sweep does it again
        log.exception("inline reset mail stopped; the sweep will retry")


def deliver_reset_mails(items: list[ResetMailRequest] | None = None, *, now: datetime | None = None,
                        seconds: float = _RESET_MAIL_RUN_SECONDS) -> Counter:
    """Do the reset requests ``items``, or those due in the queue, each claimed first so two
    senders never both do one. Returns how many were "sent", "skipped" (no such active account),
    "retry", "failed" or "taken" (another sender's).

    The queue is read batch after batch for at most ``seconds``: anyone may queue requests for
    made-up IDs, and a burst of them must delay a real account's mail by seconds, not by runs.
    """
    now = now or utcnow()
    outcomes: Counter = Counter()
    if items is not None:
        for item in items:
            outcomes[_deliver_reset_mail(item, now)] += 1
        return outcomes
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        batch = ResetMailRequest.due(now, limit=_RESET_MAIL_BATCH)
        for item in batch:  # each leaves the due range once claimed, so the next batch is new
            outcomes[_deliver_reset_mail(item, now)] += 1
            if time.monotonic() >= until:
                break
        if len(batch) < _RESET_MAIL_BATCH:
            break
    return outcomes


def _deliver_reset_mail(item: ResetMailRequest, now: datetime) -> str:
    if not item.claim(now, now + _RESET_MAIL_LEASE):
        return "taken"
    try:
        sent = _mail_reset_link(item.user_id, now)
    except SendFailed as error:
        return _reset_mail_failed(item, now, error.code, permanent=error.permanent)
    except Exception as error:  # noqa: BLE001 - a bug in rendering must not lose the mail silently
        log.exception("reset mail could not be prepared")
        return _reset_mail_failed(item, now, type(error).__name__, permanent=False)
    item.finish(RESET_DONE)
    return "sent" if sent else "skipped"


def _reset_mail_failed(item: ResetMailRequest, now: datetime, code: str, *, permanent: bool) -> str:
    if permanent or item.attempts > len(_RESET_MAIL_RETRIES):
        item.finish(RESET_FAILED)
        log.error("reset mail failed for good", extra={"error": code, "attempts": item.attempts})
        return "failed"
    item.retry_at(now + _RESET_MAIL_RETRIES[item.attempts - 1])
    log.warning("reset mail failed, will retry", extra={"error": code, "attempts": item.attempts})
    return "retry"


def _mail_reset_link(typed: str, now: datetime) -> bool:
    """Mail new one-time links to the active accounts ``typed`` names: the account of that ID,
    or every account registered with that address (one mail, each ID with its own link).
    Returns whether a mail went. Raises SendFailed."""
    if "@" in typed:  # user IDs are letters and digits only (validation.USER_ID)
        users = [user for user in User.with_email(typed) if user.active]
    else:
        found = User.find(typed)
        users = [found] if found is not None and found.active else []
    if not users:
        return False
    valid_until = now + timedelta(minutes=config.password_reset_minutes())
    links = []
    for user in users:
        token = secrets.token_urlsafe(32)
        PasswordReset(*PasswordReset.keys(_hash_token(token)), user_id=user.user_id, session_epoch=user.session_epoch,
                      valid_until=valid_until, expires_at=int(valid_until.timestamp())).save()
        links.append((user, f"{config.site_url()}/password/reset/{token}"))
    mail.send_password_reset(links, valid_until)
    return True


def reset_link_valid(token: str, *, now: datetime | None = None) -> bool:
    return _reset_record(token, now or utcnow()) is not None


def _reset_record(token: str, now: datetime) -> tuple[PasswordReset, User] | None:
    """The link and its account, if the link is live: unexpired, unused, its account active, and
    nothing since it was sent ended the account's sessions (a password change, another reset, a
    deactivation, a new temporary password)."""
    if not token or len(token) > 128:
        return None
    reset = PasswordReset.find(_hash_token(token))
    if reset is None or reset.valid_until <= now:
        return None
    user = User.find(reset.user_id)
    if user is None or not user.active or reset.session_epoch != user.session_epoch:
        return None
    return reset, user


def reset_password(token: str, *, new: str, confirm: str, now: datetime | None = None) -> None:
    """Set a new password through a reset link. The link works once; every session ends.

    Raises NotFound-like AuthenticationFailed for a bad or used link, Invalid for a refused password.
    """
    now = now or utcnow()
    live = _reset_record(token, now)
    if live is None:
        raise AuthenticationFailed()
    reset, user = live
    errors = passwords.validate_new_password(user_id=user.user_id, new=new, confirm=confirm)
    if errors:
        raise Invalid(errors)
    try:
        reset.delete(condition=PasswordReset.pk.exists())  # one use, even when two tabs race
    except DeleteError as error:
        if is_condition_failure(error):
            raise AuthenticationFailed() from None
        raise
    try:
        user.update(actions=_new_password(new), condition=User.session_epoch == reset.session_epoch)  # not changed another way meanwhile
    except UpdateError as error:
        if is_condition_failure(error):
            raise AuthenticationFailed() from None
        raise
    throttle.clear(user.user_id)
    record(user, "password_reset", user, at=now)
    audit.record_account("password_reset", user, user, at=now)
