"""Password rules, hashing and temporary passwords. Pure functions except for bcrypt's cost."""
from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path

import bcrypt

from chalicelib.messages import t

MIN_LENGTH = 12
MAX_BYTES = 72  # bcrypt ignores (bcrypt 5: refuses) anything longer
_COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
# Letters and digits that cannot be mistaken for each other when read from an e-mail.
_TEMP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
_TEMP_LENGTH = 14
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True for well-known passwords, and for them padded with digits or symbols."""
    lowered = password.lower()
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    if lowered in _common_words() or (core and core in _common_words()):
        return True
    if len(set(lowered)) <= 2:  # "aaaaaaaaaaaa", "abababababab"
        return True
    for sequence in _SEQUENCES:
        for run in (sequence, sequence[::-1]):
            if lowered in run * 2:
                return True
    return lowered.isdigit()


def validate_new_password(*, user_id: str, new: str, confirm: str, current: str | None = None) -> dict[str, str]:
    """Field errors for a proposed password (empty when it is acceptable).

    Errors are keyed by the form fields `new_password` and `new_password_confirm`.
    """
    errors: dict[str, str] = {}
    if not new:
        errors["new_password"] = t("required")
    elif len(new.encode("utf-8")) > MAX_BYTES:
        errors["new_password"] = t("password.too_long", max=MAX_BYTES, max_wide=MAX_BYTES // 3)
    elif len(new) < MIN_LENGTH:
        errors["new_password"] = t("password.too_short", min=MIN_LENGTH)
    elif user_id and user_id.lower() in new.lower():
        errors["new_password"] = t("password.same_as_user_id")
    elif is_common(new):
        errors["new_password"] = t("password.common")
    elif current is not None and new == current:
        errors["new_password"] = t("password.same_as_current")
    if not confirm:
        errors["new_password_confirm"] = t("required")
    elif "new_password" not in errors and confirm != new:
        errors["new_password_confirm"] = t("password.mismatch")
    return errors


def hash_password(password: str, rounds: int) -> str:
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_BYTES:
        raise ValueError("password longer than bcrypt accepts")
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_BYTES:
        return False  # never stored, so never right; and bcrypt 5 would raise
    return bcrypt.checkpw(encoded, password_hash.encode("ascii"))


@lru_cache(maxsize=4)
def dummy_hash(rounds: int) -> str:
    """A hash to check against when the user does not exist, so timing does not reveal IDs."""
    return hash_password(secrets.token_urlsafe(16), rounds)


def generate_temporary_password() -> str:
    return "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(_TEMP_LENGTH))
