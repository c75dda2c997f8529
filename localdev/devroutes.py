"""Routes that exist only in local mode: the local mailbox at /dev/mail and /dev/mail.json.

They are served by the local HTTP handler in front of the Chalice app, so they are not part of
the app at all and cannot reach a deployed stage.
"""
from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from localdev import mailbox
from localdev.gateway import GatewayHandler

# The page shows the newest mails only: a long session (the test suite's worker sends thousands) would
# make it too heavy to open; /dev/mail.json keeps every mail.
PAGE_SHOWS = 200
_pages = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=True)


class DevRoutesHandler(GatewayHandler):
    on_change = staticmethod(lambda: None)  # called after any request that may change data

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/dev/mail.json":
            self._send(200, "application/json; charset=utf-8",
                       json.dumps(mailbox.messages(), ensure_ascii=False))
        elif path == "/dev/mail":
            everything = mailbox.messages()
            html = _pages.get_template("mail.html").render(messages=everything[:PAGE_SHOWS], total=len(everything))
            self._send(200, "text/html; charset=utf-8", html)
        else:
            super().do_GET()

    def _handle_change(self) -> None:
        self._generic_handle()
        self.on_change()

    do_POST = do_PUT = do_PATCH = do_DELETE = _handle_change

    def _send(self, status: int, content_type: str, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
