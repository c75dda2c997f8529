"""The local HTTP front of the app: what API Gateway does for the deployed stage, where stock
`chalice local` answers differently.

- A URL no route matches gets the deployed stage's gateway response (ops/merge_template.py: the
  app's 404 page, JSON for clients that do not ask for HTML) with the app's security headers,
  not chalice local's 403 {"message": "Missing Authentication Token"} with none.
- Work the app hands to ``afterwards.later`` (the reset link's mail) runs after the answer is
  written, so the answer cannot wait for it.
- HEAD gets the headers of the app's answer (Content-Length as the app set it) and no body.
- A header value HTTP cannot carry (not ASCII, or a control character) never drops the
  connection half-way, with whatever the request changed already done: it is logged and the
  browser gets a 500 page instead.
"""
from __future__ import annotations

import logging

from chalice.local import ChaliceRequestHandler, RouteMatcher

from chalicelib.adapters import afterwards

log = logging.getLogger("irai.local")

HTML = "text/html; charset=utf-8"


def _sendable(value: str) -> bool:
    """A header value http.server can send as sent: printable ASCII (and tabs)."""
    return value.isascii() and all(char == "\t" or " " <= char < "\x7f" for char in value)


class GatewayHandler(ChaliceRequestHandler):
    def __init__(self, request, client_address, server, app_object, config) -> None:
        # Set before the base class handles the request (it does so inside __init__).
        self._routes = RouteMatcher(list(app_object.routes))
        super().__init__(request, client_address, server, app_object=app_object, config=config)

    def _generic_handle(self) -> None:
        try:
            self._routes.match_route(self.path)
        except ValueError:  # chalice's RouteMatcher: no route has this path
            self._parse_payload()  # read the body, so the next request on the connection starts right
            self._send_unknown_url()
            return
        with afterwards.after_the_answer():
            super()._generic_handle()

    # The base class binds its own _generic_handle to each method at class creation.
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _send_unknown_url(self) -> None:
        from ops.merge_template import gateway_responses

        answer = gateway_responses()["MISSING_AUTHENTICATION_TOKEN"]
        html = "text/html" in self.headers.get("accept", "")
        body = answer["responseTemplates"]["text/html" if html else "application/json"]
        headers = {name.removeprefix("gatewayresponse.header."): value.strip("'")
                   for name, value in answer["responseParameters"].items()}
        headers["Content-Type"] = HTML if html else "application/json; charset=utf-8"
        self._send_http_response(answer["statusCode"], {**_security_headers(), **headers}, body)

    def _send_http_response(self, code: int, headers: dict, body) -> None:
        bad = sorted(name for name, value in headers.items()
                     if not _sendable(name) or not all(_sendable(v) for v in (value if isinstance(value, list) else [value])))
        if bad:
            log.error("%s %s: the app answered %s with header(s) %s that HTTP cannot carry; sent a 500 page",
                      self.command, self.path.split("?", 1)[0], code, ", ".join(bad))
            from chalicelib import templating

            code, body = 500, templating.render("errors/bare.html")
            headers = {**_security_headers(), "Content-Type": HTML}
        data = b"" if body is None else body if isinstance(body, bytes) else body.encode("utf-8")
        headers = dict(headers)
        length = next((headers.pop(name) for name in list(headers) if name.lower() == "content-length"), None)
        self.send_response(code)
        self.send_header("Content-Length", length if self.command == "HEAD" and length is not None else str(len(data)))
        if body is not None and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"  # as chalice local and API Gateway default
        self._send_headers(headers)
        if self.command != "HEAD":
            self.wfile.write(data)


def _security_headers() -> dict[str, str]:
    from chalicelib.web.middleware import security_header_values

    return security_header_values()

