"""Sortable unique identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).

IDs made by one process are strictly increasing, even within one millisecond (the random part
is incremented then), so thread entries written by one save keep the order they were made in.
"""
from __future__ import annotations

import re
import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last = 0


def new_id() -> str:
    global _last
    with _lock:
        value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
        if value <= _last:
            value = _last + 1
        _last = value
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


_SHAPE = re.compile(r"[0-9A-Z]{26}")


def is_id(value: str | None) -> bool:
    """True if ``value`` has the shape of an ID made here (checked before any key is built from it)."""
    return bool(value and _SHAPE.fullmatch(value))
