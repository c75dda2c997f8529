"""Checking and normalising what people type into account and company forms. Pure functions.

Each ``clean_*`` returns the normalised value; each refusal is a message from the catalogue,
collected per field so the form can show all of them at once.
"""
from __future__ import annotations

import re
import unicodedata

from chalicelib.messages import t

USER_ID = re.compile(r"^[A-Za-z0-9]{5,32}$")
# Full-width katakana, the long-vowel mark, middle dot and spaces.
KANA = re.compile(r"^[\u30A1-\u30FA\u30FC\u30FB\u3000 ]+$")
PHONE = re.compile(r"^[0-9]+(?:-[0-9]+)*$")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
NAME_MAX = 50
COMPANY_MAX = 100


class FieldErrors(dict):
    """field -> message; ``check`` records a message when a condition fails."""

    def check(self, field: str, ok: bool, key: str, **params: object) -> bool:
        if not ok and field not in self:
            self[field] = t(key, **params)
        return ok


def normalise_width(value: str) -> str:
    """Full-width letters and digits to half-width, half-width katakana to full-width (NFKC)."""
    return unicodedata.normalize("NFKC", value).strip()


def to_katakana(value: str) -> str:
    """Hiragana to katakana, half-width katakana to full-width; spaces kept."""
    value = unicodedata.normalize("NFKC", value).strip()
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in value)


def clean_user_id(raw: str, errors: FieldErrors) -> str:
    value = normalise_width(raw)
    if errors.check("user_id", bool(value), "required"):
        errors.check("user_id", bool(USER_ID.match(value)), "account.user_id_format")
    return value


def clean_name(raw: str, errors: FieldErrors) -> str:
    value = " ".join(raw.split())
    if errors.check("name", bool(value), "required"):
        errors.check("name", len(value) <= NAME_MAX, "too_long", max=NAME_MAX)
    return value


def clean_kana(raw: str, errors: FieldErrors) -> str:
    value = " ".join(to_katakana(raw).replace("\u3000", " ").split())
    if errors.check("kana", bool(value), "required"):
        if errors.check("kana", bool(KANA.match(value)), "account.kana_format"):
            errors.check("kana", len(value) <= NAME_MAX, "too_long", max=NAME_MAX)
    return value


def clean_phone(raw: str, errors: FieldErrors) -> str:
    value = normalise_width(raw).replace("ー", "-").replace("−", "-").replace(" ", "")
    if errors.check("phone", bool(value), "required"):
        digits = value.replace("-", "")
        errors.check("phone", bool(PHONE.match(value)) and 6 <= len(digits) <= 15, "account.phone_format")
    return value


def clean_email(raw: str, errors: FieldErrors) -> str:
    value = normalise_width(raw)
    if errors.check("email", bool(value), "required"):
        errors.check("email", len(value) <= 254 and bool(EMAIL.match(value)), "account.email_format")
    return value


def clean_company_name(raw: str, errors: FieldErrors) -> str:
    value = " ".join(raw.split())
    if errors.check("name", bool(value), "required"):
        errors.check("name", len(value) <= COMPANY_MAX, "too_long", max=COMPANY_MAX)
    return value
