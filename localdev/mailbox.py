"""The local mailbox: every e-mail the app sent through the emulated SES, readable by people
(`/dev/mail`) and tests (`/dev/mail.json`, `messages()`).

Mail is read from the in-process moto SES backend, so what shows here is exactly what the app
handed to SES. Mail from earlier runs of `make run` is kept in the state folder.
"""
from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import threading
import urllib.request
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.adapters import afterwards
from chalicelib.templating import format_moment
from localdev.emulator import REGION

log = logging.getLogger("irai.local")
MAIL_SETTLES_S = 60  # a bound for a failure, never a pause: reading waits only while mail is sent
_lock = threading.Lock()
_saved: list[dict] = []  # mail of earlier runs, oldest first


def _parse(raw: str | bytes, message_id: str) -> dict:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    message = email.message_from_bytes(data, policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    date = message.get("Date")
    return {
        "id": message_id,
        "from": str(message.get("From", "")),
        "to": [address for _, address in getaddresses([str(message.get("To", ""))]) if address],
        "subject": str(message.get("Subject", "")),
        "text": text_part.get_content() if text_part else "",
        "html": html_part.get_content() if html_part else "",
        "sent_at": parsedate_to_datetime(date).isoformat() if date else "",
        # As the app writes times (templating.format_moment): the mailbox is read beside the mails.
        "sent_at_jst": format_moment(parsedate_to_datetime(date)) if date else "",
        "headers": {name: str(value) for name, value in message.items()},
    }


def _sent_this_run() -> list[dict]:
    if os.environ.get("IRAI_EMULATOR") == "localstack":
        return _sent_through_localstack()
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    return [_parse(m.raw_data, m.id) for m in list(backend.sent_messages) if hasattr(m, "raw_data")]


def _sent_through_localstack() -> list[dict]:
    """LocalStack lists the mail it accepted at /_aws/ses (its documented internal endpoint)."""
    url = os.environ["AWS_ENDPOINT_URL"].rstrip("/") + "/_aws/ses"
    with urllib.request.urlopen(url, timeout=10) as response:
        sent = json.load(response).get("messages", [])
    return [_parse(m["RawData"], m["Id"]) for m in sent if m.get("RawData")]


def messages() -> list[dict]:
    """Every mail sent, newest first, once mail still being sent after an answer is out."""
    if not afterwards.settled(timeout=MAIL_SETTLES_S):
        log.warning("mail handed over after an answer was still being sent after %s s", MAIL_SETTLES_S)
    with _lock:
        everything = _saved + _sent_this_run()
    return list(reversed(everything))


def load(path: Path) -> None:
    """Take in the mail of earlier runs."""
    global _saved
    with _lock:
        _saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def save(path: Path) -> None:
    all_mail = list(reversed(messages()))
    path.write_text(json.dumps(all_mail, ensure_ascii=False, indent=1), encoding="utf-8")
