"""Building HTML responses, redirects and cookies."""
from __future__ import annotations

import secrets
from urllib.parse import quote

from chalice import Response

from chalicelib import templating
from chalicelib.adapters import config
from chalicelib.messages import t
from chalicelib.services import agency as agency_settings
from chalicelib.web import context, navigation

HTML = "text/html; charset=utf-8"
# Reserved and unreserved URL characters, and "%" so existing escapes are kept.
_URL_CHARACTERS = ":/?#[]@!$&'()*+,;=%-._~"


def csrf_token() -> str:
    """The token forms must echo: the session's own, or before login the anonymous cookie's."""
    me = context.session()
    if me is not None:
        return me.session.csrf_token
    cache = context.request().irai_cache
    if "csrf_token" not in cache:
        cache["csrf_token"] = context.cookies().get(context.csrf_cookie_name()) or secrets.token_urlsafe(32)
    return cache["csrf_token"]


def _pending_cookies() -> list[str]:
    """Cookies this request must set: a new anonymous CSRF cookie when one was just made."""
    cache = context.request().irai_cache
    token = cache.get("csrf_token")
    if token and context.session() is None and context.cookies().get(context.csrf_cookie_name()) != token:
        return [cookie(context.csrf_cookie_name(), token, max_age=60 * 60 * 24)]
    return []


def page(template: str, *, status: int = 200, cookies: list[str] | None = None, **values: object) -> Response:
    """Render a page inside the common frame (agency, signed-in user, CSRF token)."""
    values.setdefault("notice", None)
    agency, me = agency_settings.settings(), context.signed_in()
    body = templating.render(
        template,
        agency=agency,
        me=me,
        csrf_token=csrf_token(),
        # The side's menu and the breadcrumb trail, from one table (web/navigation.py).
        navigation=navigation.for_page(template, values, me, agency, context.request().path),
        t=t,
        **values,
    )
    headers: dict[str, str | list[str]] = {"Content-Type": HTML}
    all_cookies = (cookies or []) + _pending_cookies()
    if all_cookies:
        headers["Set-Cookie"] = all_cookies
    return Response(body=body, status_code=status, headers=headers)


def redirect(location: str, *, cookies: list[str] | None = None) -> Response:
    """303 See Other: after a POST the browser follows with a GET.

    The Location header is sent percent-encoded (RFC 3986): a header value must be ASCII for
    HTTP servers and API Gateway alike, so "/requests?q=日本語" leaves as UTF-8 escapes. What is
    ASCII already, escapes included, is left as it is.
    """
    headers: dict[str, str | list[str]] = {"Location": quote(location, safe=_URL_CHARACTERS)}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=303, headers=headers)


def cookie(name: str, value: str, *, max_age: int) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if config.is_https():
        parts.append("Secure")
    return "; ".join(parts)


def expired_cookie(name: str) -> str:
    return cookie(name, "", max_age=0)


def error_page(status: int, message_key: str | None = None) -> Response:
    return page(f"errors/{status}.html", status=status,
                message=t(message_key) if message_key else None)
