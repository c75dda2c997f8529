"""Outbound HTTPS posts to chat services and webhooks, safe against server-side request forgery.

A destination's URL is typed by a person, so the app must never be the means of reaching what
only it can reach: the instance metadata address, the VPC, the host itself. Before each post the
host is resolved and every address it resolves to must be public (``ipaddress.is_global``); the
connection is then made to that checked address, with the name kept for TLS (SNI and certificate
check) and the Host header, so a name that changes between the check and the connection (DNS
rebinding) cannot take the post elsewhere. Redirects are not followed, timeouts are short, and
only HTTPS is used. Local mode (IRAI_LOCAL_MODE=1) also allows plain HTTP to a loopback address,
so the tests and `make run` can post to a receiver on the same machine; other private addresses
stay refused there too.

urllib3 is the HTTP client botocore already ships with, so nothing is added to the package.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

from chalicelib.adapters import config

CONNECT_SECONDS = 3.0
READ_SECONDS = 5.0
ANSWER_BYTES = 2000  # of the answer's body kept to show on the settings page


class Refused(Exception):
    """The URL may not be posted to; ``reason`` is a key of messages.CHAT_REFUSALS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Unreachable(Exception):
    """No answer: the name did not resolve, the connection failed, or the answer took too long."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Answer:
    status: int
    body: str                      # the first ANSWER_BYTES of the answer, as text
    retry_after: float | None      # seconds, from a Retry-After header given in seconds


def check_url(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path-with-query of ``url`` if its form may be posted to; raises
    Refused. Pure except for reading local mode: addresses are checked at send time."""
    # A URL a service issues is printable ASCII; anything else (spaces, line breaks, control or
    # format characters, full-width letters) would be refused by the HTTP client itself, later.
    if not url.isascii() or any(not c.isprintable() or c.isspace() for c in url):
        raise Refused("malformed")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("malformed") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme != "https" and not (scheme == "http" and config.local_mode()):
        raise Refused("https_only")
    if not host or parts.username or parts.password:
        raise Refused("malformed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def allowed_address(address: str) -> bool:
    """Whether a post may connect to ``address``: public ones only (loopback too in local mode)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return config.local_mode()
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """One checked address of ``host``; raises Refused when any address it has is not allowed
    (a name with one private address among public ones is refused, whichever would be used)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Unreachable("name_not_resolved") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses or not all(allowed_address(address) for address in addresses):
        raise Refused("private_address")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` once (no retries, no redirects); raises Refused or Unreachable."""
    scheme, host, port, path = check_url(url)
    address = resolve(host, port)
    timeout = urllib3.Timeout(connect=CONNECT_SECONDS, read=READ_SECONDS)
    options = dict(host=address, port=port, timeout=timeout, retries=False, maxsize=1)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
                                           **options)
    else:
        pool = urllib3.HTTPConnectionPool(**options)
    host_header = host if port in (80, 443) else f"{host}:{port}"
    try:
        with pool:
            response = pool.urlopen("POST", path, body=body, headers={**headers, "Host": host_header},
                                    redirect=False, preload_content=False, assert_same_host=False)
            try:
                raw = response.read(ANSWER_BYTES, decode_content=True) or b""
            finally:
                response.release_conn()
    except urllib3.exceptions.TimeoutError:
        raise Unreachable("timeout") from None
    except urllib3.exceptions.HTTPError as error:
        raise Unreachable(type(error).__name__) from None
    return Answer(status=response.status, body=raw.decode("utf-8", "replace"),
                  retry_after=_seconds(response.headers.get("Retry-After")))


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float((value or "").strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86400 else None


def masked(url: str) -> str:
    """What the settings page shows of a stored URL: its scheme and host, and the last 4 characters."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "…"
    return f"{parts.scheme}://{host}/…{url[-4:]}" if host else "…"
