"""Reading HTML form posts (application/x-www-form-urlencoded) from raw_body, and answering them:
``submit`` is the one place where a refused change puts the form back on the page."""
from __future__ import annotations

from typing import Callable, TypeVar
from urllib.parse import parse_qs

from chalice import Response

from chalicelib.errors import Conflict, Invalid, ServiceUnavailable
from chalicelib.messages import t
from chalicelib.web import context

T = TypeVar("T")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 256 * 1024


class BadForm(Exception):
    """The body is not a readable form; ``message_key`` names the message for the user."""

    def __init__(self, message_key: str):
        super().__init__(message_key)
        self.message_key = message_key


def _all_fields() -> dict[str, list[str]]:
    """Every posted value of every field, parsed once per request.

    Raises BadForm for bodies that are too large or not valid UTF-8.
    """
    def parse() -> dict[str, list[str]]:
        body = context.request().raw_body or b""
        if len(body) > MAX_FORM_BYTES:
            raise BadForm("form.too_large")
        try:
            text = body.decode("utf-8")
            fields = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise BadForm("form.bad_request") from None
        return fields

    return context._cached("form", parse)


def form() -> dict[str, str]:
    """The posted fields, the first value of each. Raises BadForm (see _all_fields)."""
    return {name: values[0] for name, values in _all_fields().items()}


def values(name: str) -> list[str]:
    """Every non-empty value of a repeated field (checkboxes, upload IDs)."""
    return [value for value in _all_fields().get(name, []) if value]


def field(name: str, *, strip: bool = True) -> str:
    value = form().get(name, "")
    # Normalise line endings so length limits and storage do not depend on the browser.
    value = value.replace("\r\n", "\n")
    return value.strip() if strip else value


def submit(action: Callable[[], T], *, done: Callable[[T], Response], refuse: Callable[[int, dict], Response],
           conflict: bool = True, unavailable: bool = False, invalid_status: int = 400) -> Response:
    """Run one change posted by a form: ``done(result)`` when it is saved, else the form again.

    The form comes back through ``refuse(status, errors)``, which re-renders it with what was
    typed: Invalid gives 400 (``invalid_status``) with its field errors; Conflict (someone saved
    first) 409; ServiceUnavailable 503, nothing saved. ``conflict`` and ``unavailable`` say which
    of the last two the form answers itself; the others go on to the error pages of the guards.
    """
    try:
        result = action()
    except Invalid as error:
        return refuse(invalid_status, error.errors)
    except Conflict:
        if not conflict:
            raise
        return refuse(409, {"_form": t("conflict.changed")})
    except ServiceUnavailable:
        if not unavailable:
            raise
        return refuse(503, {"_form": t("service.unavailable_form")})
    return done(result)
