"""Reading the local mailbox (what the app handed to the emulated SES) from tests.

No waiting is needed: locally mail is sent in-process before the change that queued it answers
(IRAI_MAIL_DELIVERY=inline), or, for a reset link, right after the answer, which reading the
mailbox waits for (``localdev.mailbox.messages``); so it is there once a test has the answer.
The mailbox is shared by the whole session: a mail is found by an address only this test used.
"""
from __future__ import annotations

from localdev import mailbox


def mail_to(address: str, *, subject: str | None = None) -> dict:
    """The newest mail to ``address`` (with ``subject`` in its 件名, if given)."""
    for message in mailbox.messages():  # newest first
        if address in message["to"] and (subject is None or subject in message["subject"]):
            return message
    raise AssertionError(f"no mail to {address}" + (f" about {subject!r}" if subject else "")
                         + " in the local mailbox")


def line_value(text: str, prefix: str) -> str:
    """What follows ``prefix`` on the line of ``text`` that starts with it (e.g. "ユーザーID: ")."""
    for line in text.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise AssertionError(f"no line starting with {prefix!r} in:\n{text}")
