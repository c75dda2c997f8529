"""パスキー (WebAuthn): register, name and remove them; sign in with one as the second factor, or
with it alone (no password).

The ceremonies are the py_webauthn library's (imported on first use: most requests never need
it). A challenge is stored for one answer (models.factors.PasskeyChallenge) and deleted
conditionally when it is answered, so a recorded answer cannot be played again. Passkeys are
discoverable credentials ("resident keys") whose user handle is the account's user ID: a sign-in
without a password learns from the answer whose key it is. The relying party is the host the
page was opened on (scheme from the configured site URL), checked against the browser's answer.
"""
from __future__ import annotations

import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from pynamodb.exceptions import DeleteError

from chalicelib.adapters import config
from chalicelib.clock import utcnow
from chalicelib.errors import Invalid
from chalicelib.messages import t
from chalicelib.models.base import is_condition_failure
from chalicelib.models.factors import Passkey, PasskeyChallenge
from chalicelib.models.users import User
from chalicelib.services import agency, audit, factors
from chalicelib.services import validation as v
from chalicelib.services.history import record

NAME_MAX = 40
CHALLENGE_MINUTES = 5
ANSWER_MAX = 16_000  # a WebAuthn answer is a few kilobytes at most
REGISTER, SECOND, LOGIN = "register", "second", "login"


class PasskeyFailed(Exception):
    """The browser's answer did not check out (or answered no challenge of ours)."""


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str  # the host, without port
    origin: str  # scheme://host[:port], as the browser reports it


def relying_party(host_header: str) -> RelyingParty:
    """The relying party for a page opened at ``host_header``. Raises Invalid when the host is an
    IP address, which WebAuthn does not accept (locally: open http://localhost:<port>)."""
    scheme = urlsplit(config.site_url()).scheme
    host = (host_header or urlsplit(config.site_url()).netloc).strip().lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    try:
        ipaddress.ip_address(name.strip("[]"))
        port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
        raise Invalid({"_form": t("passkey.needs_name", url=f"{scheme}://localhost{':' + port if port else ''}")})
    except ValueError:
        pass
    return RelyingParty(rp_id=name, origin=f"{scheme}://{host}")


def _challenge(purpose: str, user_id: str | None, now: datetime) -> bytes:
    challenge = secrets.token_bytes(32)
    valid_until = now + timedelta(minutes=CHALLENGE_MINUTES)
    PasskeyChallenge(*PasskeyChallenge.keys(_b64(challenge)), purpose=purpose, user_id=user_id,
                     valid_until=valid_until, expires_at=int(valid_until.timestamp())).save()
    return challenge


def _take_challenge(credential: dict, purpose: str, now: datetime) -> tuple[bytes, PasskeyChallenge]:
    """The challenge the answer signed, if it is one of ours for ``purpose``, unexpired and unused;
    it is used up here (a conditional delete: of two answers to one challenge, one counts)."""
    from webauthn.helpers import base64url_to_bytes, parse_client_data_json

    try:
        client_data = parse_client_data_json(base64url_to_bytes(credential["response"]["clientDataJSON"]))
    except Exception as error:  # noqa: BLE001 - anything malformed is simply not an answer
        raise PasskeyFailed() from error
    key = _b64(client_data.challenge)
    found = PasskeyChallenge.find(key)
    if found is None or found.purpose != purpose or found.valid_until <= now:
        raise PasskeyFailed()
    try:
        found.delete(condition=PasskeyChallenge.pk.exists())
    except DeleteError as error:
        if is_condition_failure(error):
            raise PasskeyFailed() from None
        raise
    return client_data.challenge, found


def parse(text: str) -> dict:
    """The browser's answer as the script sent it (JSON); PasskeyFailed if it is not an object."""
    if not text or len(text) > ANSWER_MAX:
        raise PasskeyFailed()
    try:
        value = json.loads(text)
    except ValueError as error:
        raise PasskeyFailed() from error
    if not isinstance(value, dict):
        raise PasskeyFailed()
    return value


# Registering.

def registration_options(user: User, party: RelyingParty, *, now: datetime | None = None) -> str:
    """The options for navigator.credentials.create, as JSON."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                          ResidentKeyRequirement, UserVerificationRequirement)
    from webauthn.helpers import base64url_to_bytes

    now = now or utcnow()
    options = generate_registration_options(
        rp_id=party.rp_id, rp_name=agency.settings().name or "Irai", user_name=user.user_id,
        user_id=user.user_id.lower().encode(), user_display_name=user.name,
        challenge=_challenge(REGISTER, user.user_id, now),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
                             for key in factors.of(user).passkeys])
    return options_to_json(options)


def register(user: User, answer: dict, party: RelyingParty, *, now: datetime | None = None) -> bool:
    """Keep the passkey the browser made, under the name typed. Returns whether it is the
    account's first factor (every session of the account then ends: the caller opens a new one).

    Raises Invalid (field ``passkey_name``) for a missing or long name, PasskeyFailed for an answer
    that does not check out."""
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url

    now = now or utcnow()
    name = v.normalise_width(str(answer.get("name") or "")).strip()
    if not name:
        raise Invalid({"passkey_name": t("passkey.name_required")})
    if len(name) > NAME_MAX:
        raise Invalid({"passkey_name": t("too_long", max=NAME_MAX)})
    credential = answer.get("credential")
    if not isinstance(credential, dict):
        raise PasskeyFailed()
    challenge, stored = _take_challenge(credential, REGISTER, now)
    if (stored.user_id or "").lower() != user.user_id.lower():
        raise PasskeyFailed()
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=party.rp_id, expected_origin=party.origin)
    except Exception as error:  # noqa: BLE001 - the library raises several kinds for a bad answer
        raise PasskeyFailed() from error
    credential_id = bytes_to_base64url(verified.credential_id)
    Passkey(*Passkey.keys(user.user_id, credential_id), user_id=user.user_id, credential_id=credential_id,
            public_key=bytes_to_base64url(verified.credential_public_key), sign_count=verified.sign_count,
            name=name, created_at=now).save()
    first = not user.two_factor
    if first:
        user.update(actions=[User.two_factor.set(True), User.session_epoch.add(1)])
    record(user, "second_factor_enrolled", user, at=now)
    audit.record_account("second_factor_enrolled", user, user, changes={"パスキー": {"old": "", "new": name}}, at=now)
    return first


def remove(user: User, credential_id: str, *, now: datetime | None = None) -> None:
    """Remove one of the account's passkeys; refused (Invalid) when it is the last factor and a
    second factor is required of the account."""
    now = now or utcnow()
    found = factors.of(user)
    key = next((key for key in found.passkeys if key.credential_id == credential_id), None)
    if key is None:
        return  # removed already (a second click, another tab)
    if found.count == 1 and factors.required(user):
        raise Invalid({"_form": t("second_factor.last_required")})
    key.delete()
    factors.after_removal(user, found.count - 1, "パスキー", key.name, now)


# Signing in.

def authentication_options(party: RelyingParty, *, user: User | None = None, now: datetime | None = None) -> str:
    """The options for navigator.credentials.get: for ``user``'s second step (its passkeys), or
    for a sign-in by passkey alone (any of this site's, user verification required)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    now = now or utcnow()
    allowed = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
               for key in factors.of(user).passkeys] if user is not None else []
    options = generate_authentication_options(
        rp_id=party.rp_id, challenge=_challenge(SECOND if user else LOGIN, user.user_id if user else None, now),
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED if user else UserVerificationRequirement.REQUIRED)
    return options_to_json(options)


def authenticate(answer: dict, party: RelyingParty, *, user: User | None = None, now: datetime | None = None) -> User:
    """The account whose passkey answered: ``user``'s own (its second step) or, without a user,
    the one the answer's user handle names (user verification required: the passkey alone is
    both factors). Raises PasskeyFailed."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes

    now = now or utcnow()
    credential = answer.get("credential")
    if not isinstance(credential, dict):
        raise PasskeyFailed()
    challenge, stored = _take_challenge(credential, SECOND if user else LOGIN, now)
    if user is not None and (stored.user_id or "").lower() != user.user_id.lower():
        raise PasskeyFailed()
    if user is None:
        try:
            handle = base64url_to_bytes(credential["response"]["userHandle"] or "").decode()
        except Exception as error:  # noqa: BLE001
            raise PasskeyFailed() from error
        user = User.find(handle) if handle else None
        if user is None:
            raise PasskeyFailed()
    key = Passkey.find(user.user_id, str(credential.get("id", ""))[:200])
    if key is None:
        raise PasskeyFailed()
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=party.rp_id,
            expected_origin=party.origin, credential_public_key=base64url_to_bytes(key.public_key),
            credential_current_sign_count=key.sign_count, require_user_verification=stored.purpose == LOGIN)
    except Exception as error:  # noqa: BLE001 - a bad signature, a cloned key's counter, a wrong origin
        raise PasskeyFailed() from error
    key.update(actions=[Passkey.sign_count.set(verified.new_sign_count), Passkey.last_used_at.set(now)])
    return user


def _b64(raw: bytes) -> str:
    from webauthn.helpers import bytes_to_base64url

    return bytes_to_base64url(raw)
