"""Second factors: an account's authenticator app (TOTP) and passkeys, and WebAuthn challenges.

An account's factors share the partition ``MFA#<user id>``, so its security page and a reset read
or delete them with one query; not the account's own partition, whose ``with_history`` query reads
every sort key up to ``PROFILE``. ``User.two_factor`` says whether any of them is in use, so a
sign-in knows without reading this partition whether to ask for a second step.
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item


def factors_partition(user_id: str) -> str:
    return f"MFA#{user_id.lower()}"


class TotpFactor(Item, discriminator="TotpFactor"):
    """The authenticator app: its RFC 6238 secret, in use once a code from it was confirmed."""

    user_id = UnicodeAttribute()
    secret = UnicodeAttribute()  # base32; never logged, never in an audit entry
    confirmed = BooleanAttribute(default=False)
    # The newest 30-second step a code was accepted for: a code is refused unless its step is newer
    # (a conditional update), so a code works once, even when two tabs race.
    last_step = NumberAttribute(default=-1)
    # SHA-256 of each unused recovery code; one is removed (conditionally) when it is used.
    recovery_hashes = UnicodeSetAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        return factors_partition(user_id), "TOTP"


class Passkey(Item, discriminator="Passkey"):
    """A WebAuthn credential the account registered, under the name it gave it."""

    user_id = UnicodeAttribute()
    credential_id = UnicodeAttribute()  # base64url
    public_key = UnicodeAttribute()  # base64url COSE key: public, but of no use to anyone else
    sign_count = NumberAttribute(default=0)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(user_id: str, credential_id: str) -> tuple[str, str]:
        return factors_partition(user_id), f"PASSKEY#{credential_id}"


class PasskeyChallenge(Item, discriminator="PasskeyChallenge"):
    """A challenge handed to the browser, good for one ceremony: deleted (conditionally) when
    answered, and by TTL if never. ``user_id`` is None for a sign-in by passkey alone."""

    purpose = UnicodeAttribute()  # "register" or "login"
    user_id = UnicodeAttribute(null=True)
    valid_until = UTCDateTimeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def keys(challenge: str) -> tuple[str, str]:
        return f"WEBAUTHN#{challenge}", "CHALLENGE"
