"""What one request knows about itself: the request, its parsed form and its session.

A middleware binds the Chalice request to a context variable before any view runs, so guards
and helpers reach it without threading it through every call. Values are computed once per
request (a session costs DynamoDB reads) and cached on the request object.
"""
from __future__ import annotations

from contextvars import ContextVar
from http.cookies import CookieError, SimpleCookie

from chalice.app import Request

from chalicelib.adapters import config
from chalicelib.services import audit, auth

_current: ContextVar[Request] = ContextVar("irai_request")


def bind(request: Request) -> None:
    _current.set(request)
    request.irai_cache = {}
    audit.bind_request(client_address(), request.headers.get("user-agent", ""))


def request() -> Request:
    return _current.get()


def _cached(key: str, compute):
    cache = request().irai_cache
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def cookies() -> dict[str, str]:
    def parse() -> dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(request().headers.get("cookie", ""))
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    return _cached("cookies", parse)


def session_cookie_name() -> str:
    # __Host- binds the cookie to this exact host over HTTPS (no Domain, Path=/, Secure).
    return "__Host-irai_session" if config.is_https() else "irai_session"


def csrf_cookie_name() -> str:
    return "__Host-irai_csrf" if config.is_https() else "irai_csrf"


def session() -> auth.SignedIn | None:
    """The caller's live session, a pending one (password right, second factor still to come)
    included: what CSRF checks and the second step's pages need. Everything else asks ``signed_in``."""
    return _cached("signed_in", lambda: auth.resume(cookies().get(session_cookie_name(), "")))


def signed_in() -> auth.SignedIn | None:
    """The caller's live session and account, or None (also while the second factor is pending)."""
    current = session()
    return None if current is None or current.session.pending else current


def pending() -> auth.SignedIn | None:
    """The caller's session if it waits for its second factor (/login/second), else None."""
    current = session()
    return current if current is not None and current.session.pending else None


def replace_signed_in(value: auth.SignedIn | None) -> None:
    """After login, logout or a password change, later code in this request sees the new state."""
    request().irai_cache["signed_in"] = value


def client_address() -> str:
    """The caller's IP address as API Gateway (or the local server) saw it."""
    identity = request().context.get("identity") or {}
    return str(identity.get("sourceIp") or "")
