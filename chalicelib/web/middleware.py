"""HTTP middleware: request context, HEAD as GET, CSRF, security headers, friendly 5xx pages."""
from __future__ import annotations

import copy
import hmac
import json
import logging
from urllib.parse import urlsplit

from chalice import Response

from chalicelib import templating
from chalicelib.adapters import config, s3
from chalicelib.messages import t
from chalicelib.web import context
from chalicelib.web.forms import FORM_CONTENT_TYPE, BadForm, form
from chalicelib.web.responses import HTML, error_page, page

log = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _content_security_policy() -> str:
    bucket = " ".join(s3.origins())  # uploads go, and thumbnails come, straight from S3
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob: {bucket}",
        f"connect-src 'self' {bucket}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_header_values() -> dict[str, str]:
    """The headers every response carries (unless it sets its own), pages never cached by default.

    Also used by the local server for the answers it gives itself (unknown URLs), as the deployed
    stage's gateway response carries them."""
    values = {
        "Content-Security-Policy": _content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if config.is_https():
        values["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return values


def security_headers(event, get_response) -> Response:
    """Every response carries the security headers; pages are never cached by default."""
    response = get_response(event)
    for name, value in security_header_values().items():
        response.headers.setdefault(name, value)
    return response


def head_like_get(event, get_response) -> Response:
    """HEAD answers as GET does (the same view, status and headers) without the body.

    Content-Length is the GET body's, as HTTP asks; the local server sends it as is, and the
    body API Gateway gets is empty. ``allow_head`` gives every GET route its HEAD.
    """
    response = get_response(event)
    if event.method != "HEAD":
        return response
    body = response.to_dict()["body"]  # as Chalice would send it: JSON dumped, bytes kept
    response.headers["Content-Length"] = str(len(body if isinstance(body, bytes) else body.encode("utf-8")))
    response.body = b"" if isinstance(body, bytes) else ""
    return response


def allow_head(app) -> None:
    """Route HEAD to every GET route's view. API Gateway passes to the Lambda only the methods a
    route names (any other gets its 403/404 gateway response), so HEAD must be in the route table."""
    for entries in app.routes.values():
        if "GET" in entries and "HEAD" not in entries:
            head = copy.copy(entries["GET"])
            head.method = "HEAD"
            entries["HEAD"] = head


def friendly_errors(event, get_response) -> Response:
    """Replace Chalice's own English JSON errors with a page a person can read (JSON on /api/).

    Chalice answers a body of a type the route does not declare with 415 before the view runs;
    its {"Code", "Message"} body is neither Japanese nor the API's documented Error shape.
    """
    response = get_response(event)
    path = event.context.get("resourcePath", "")
    if response.status_code == 415:
        if path.startswith("/api/"):
            return _refuse(event, 415, "form.unsupported_type")
        return page("errors/400.html", status=415, code=415, message=t("form.unsupported_type"))
    if response.status_code >= 500 and not path.startswith("/api/") and path != "/health":  # JSON routes
        log.error("server error on %s %s: %s", event.method, path, response.status_code)
        if str(response.headers.get("Content-Type", "")).startswith("text/html"):
            return response  # a page the app rendered itself (503 with the form kept): already readable
        try:
            return error_page(500)
        except Exception:  # noqa: BLE001 - DynamoDB itself may be what failed; fall back to a bare page
            body = templating.render("errors/bare.html")
            return Response(body=body, status_code=500, headers={"Content-Type": HTML})
    return response


def bind_context(event, get_response) -> Response:
    context.bind(event)
    return get_response(event)


def _same_origin(request) -> bool:
    """Browsers send Origin on cross-site POSTs; a request from another site is refused.

    An origin is scheme, host and port: the site's scheme comes from its configured URL (the one
    mail links use; HTTPS behind API Gateway, HTTP locally), so a page served over plain HTTP
    cannot post to the HTTPS site, nor the other way round. The host is the configured one or
    the one the request was sent to (127.0.0.1 and localhost both reach `make run`).
    """
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    site = urlsplit(config.site_origin())
    sent = _origin_parts(origin)
    return sent is not None and sent in (_origin_parts(config.site_origin()),
                                         _origin_parts(f"{site.scheme}://{request.headers.get('host', '')}"))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the port made explicit; None if it is not one."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _refuse(event, status: int, message_key: str) -> Response:
    """A refusal in the form the URL asks for: JSON under /api/, a page elsewhere."""
    if event.context.get("resourcePath", event.path).startswith("/api/"):
        body = json.dumps({"message": t(message_key)}, ensure_ascii=False)
        return Response(body=body, status_code=status, headers={"Content-Type": "application/json; charset=utf-8"})
    return error_page(status, message_key)


def csrf_protect(event, get_response) -> Response:
    """Refuse any state-changing request without the right token or from another site.

    Signed-in requests must echo their session's token; anonymous forms (login) must echo the
    anonymous CSRF cookie (double submit). JSON requests send it in the X-CSRF-Token header.
    """
    if event.method in SAFE_METHODS:
        return get_response(event)
    if not _same_origin(event):
        return _refuse(event, 403, "csrf.failed")
    api = event.context.get("resourcePath", event.path).startswith("/api/")
    try:
        # The API reads no forms: its token is always the header, so a form post there is refused.
        if not api and event.headers.get("content-type", "").split(";")[0].strip() == FORM_CONTENT_TYPE:
            sent = form().get(CSRF_FIELD, "")
        else:
            sent = event.headers.get(CSRF_HEADER, "")
    except BadForm as error:
        return _refuse(event, 400, error.message_key)
    me = context.session()
    expected = me.session.csrf_token if me else context.cookies().get(context.csrf_cookie_name(), "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _refuse(event, 403, "csrf.failed")
    return get_response(event)


# Outermost first: the context must exist before anything else reads the request.
ALL = (bind_context, head_like_get, security_headers, friendly_errors, csrf_protect)
