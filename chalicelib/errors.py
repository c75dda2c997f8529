"""Domain errors, shared by every layer. Services (and the adapters and models below them) raise
them; the web layer maps them to pages or API errors."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Conflict(DomainError):
    """The change lost a race (optimistic locking) or breaks a uniqueness rule."""


class Invalid(DomainError):
    """Input was refused. ``errors`` maps a form field (or ``"_form"``) to a message for the user."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors


class AuthenticationFailed(DomainError):
    """Wrong user ID or password; deliberately does not say which."""


class ServiceUnavailable(DomainError):
    """An AWS dependency failed after its retries; the user should try again later."""
