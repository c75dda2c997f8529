"""Sending e-mail through SES as raw MIME (so headers such as threading can be set)."""
from __future__ import annotations

import logging
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws, config
from chalicelib.services.errors import ServiceUnavailable

log = logging.getLogger(__name__)


def build_message(*, to: str, subject: str, text: str, html: str, sender_name: str,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    sender = config.mail_from_address()
    local_part, _, domain = sender.partition("@")
    message = EmailMessage()
    message["From"] = Address(display_name=sender_name, username=local_part, domain=domain)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def send(message: EmailMessage) -> str:
    """Send through SES; returns the SES message id.

    botocore retries throttling and transient errors; what still fails raises
    ServiceUnavailable so the caller reports it instead of dropping the mail.
    """
    try:
        response = aws.client("ses").send_raw_email(
            Source=config.mail_from_address(),
            Destinations=[str(message["To"])],
            RawMessage={"Data": message.as_bytes()},
        )
    except (ClientError, BotoCoreError) as error:
        log.error("mail send failed", extra={"error": type(error).__name__})
        raise ServiceUnavailable("mail could not be sent") from error
    return response["MessageId"]
