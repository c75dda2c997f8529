"""Reading HTML form posts (application/x-www-form-urlencoded) from raw_body."""
from __future__ import annotations

from urllib.parse import parse_qs

from chalicelib.web import context

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
