"""A small user agent over chalice.test.Client: keeps cookies, reads CSRF tokens from forms, and
calls the JSON API with the session's token."""
from __future__ import annotations

import json
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from requests.structures import CaseInsensitiveDict

FORM = "application/x-www-form-urlencoded"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Agent:
    def __init__(self, client, host: str = "127.0.0.1:8000"):
        self.client = client
        self.host = host
        self.cookies: dict[str, str] = {}
        self.last = None

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _remember(self, response) -> None:
        response.headers = CaseInsensitiveDict(response.headers)
        raw = response.headers.get("set-cookie")
        values = raw if isinstance(raw, list) else ([raw] if raw else [])
        for value in values:
            jar = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, headers: dict | None = None):
        response = self.client.http.get(path, headers=self._headers(headers))
        self._remember(response)
        self.last = response
        return response

    def post(self, path: str, data: dict, *, headers: dict | None = None, token: str | None = None):
        """POST a form; the CSRF token of the last page is added unless ``token`` says otherwise."""
        fields = dict(data)
        if token is None:
            token = self.csrf_token()
        if token:
            fields.setdefault("csrf_token", token)
        response = self.client.http.post(path, body=urlencode(fields),
                                         headers=self._headers({"Content-Type": FORM, **(headers or {})}))
        self._remember(response)
        self.last = response
        return response

    def csrf_token(self) -> str:
        if self.last is None:
            return ""
        match = _TOKEN.search(self.last.body.decode("utf-8"))
        return match.group(1) if match else ""

    def api(self, method: str, path: str, body: dict | None = None):
        """Call the JSON API as this session: the CSRF token from ``/api/session``, the body as JSON.
        Returns the response (``json.loads(response.body)`` reads it)."""
        session = self.client.http.get("/api/session", headers=self._headers())  # not a page: ``last`` stays
        headers = self._headers({"Content-Type": "application/json", "X-CSRF-Token": json.loads(session.body)["csrf_token"]})
        response = self.client.http.request(method, path, headers=headers,
                                            body=json.dumps(body) if body is not None else b"")
        self._remember(response)
        return response

    def login(self, user_id: str, password: str):
        self.get("/login")
        return self.post("/login", {"user_id": user_id, "password": password})

    @staticmethod
    def text(response) -> str:
        return response.body.decode("utf-8")
