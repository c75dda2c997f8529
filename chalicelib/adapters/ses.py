"""Sending e-mail through SES as raw MIME (so headers such as threading can be set)."""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws, config
from chalicelib.errors import ServiceUnavailable

if TYPE_CHECKING:
    from email.message import EmailMessage

log = logging.getLogger(__name__)

# SES refusals that the same mail would meet again however often it is retried.
_PERMANENT = frozenset({
    "MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException",
    "InvalidParameterValue", "ConfigurationSetDoesNotExist", "ConfigurationSetDoesNotExistException",
})


class SendFailed(ServiceUnavailable):
    """SES did not take the mail, after botocore's own retries. ``code`` is SES's error code (or the
    botocore error's name); ``permanent`` says whether trying again later can help."""

    def __init__(self, code: str):
        super().__init__(f"mail could not be sent ({code})")
        self.code = code
        self.permanent = code in _PERMANENT


def no_reply_domain() -> str:
    return config.mail_from_address().partition("@")[2]


@lru_cache(maxsize=1)
def _policy():
    """The default mail policy, except that Subject is folded by email.header.Header.

    Python's own folder (3.11, 3.12) drops a space that falls between two RFC 2047 encoded words
    when it folds a long non-ASCII header, so 「#7 トップページ」 arrived as 「#7トップページ」.
    Header splits inside encoded words on character boundaries, keeping every space, and each
    line within 78 characters."""
    from email.header import Header
    from email.policy import EmailPolicy

    class _Policy(EmailPolicy):
        def _subject(self, value) -> str:
            folded = Header(str(value), "utf-8", header_name="Subject").encode(linesep=self.linesep)
            return f"Subject: {folded}{self.linesep}"

        def fold(self, name, value):
            return self._subject(value) if name.lower() == "subject" else super().fold(name, value)

        def fold_binary(self, name, value):
            if name.lower() == "subject":
                return self._subject(value).encode("ascii")
            return super().fold_binary(name, value)

    return _Policy()


def build_message(*, to: str, subject: str, text: str, html: str, sender_name: str, to_name: str = "",
                  headers: dict[str, str] | None = None) -> EmailMessage:
    # Imported here: the email package costs a cold start ~20 ms that the pages never need.
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    sender = config.mail_from_address()
    local_part, _, domain = sender.partition("@")
    message = EmailMessage(policy=_policy())
    message["From"] = Address(display_name=sender_name, username=local_part, domain=domain)
    to_local, _, to_domain = to.partition("@")
    message["To"] = Address(display_name=to_name, username=to_local, domain=to_domain) if to_name else to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain)
    # Machine-sent (RFC 3834): auto-responders and out-of-office replies must not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def send(message: EmailMessage, *, to: str, in_request: bool = False) -> str:
    """Send through SES with the stage's configuration set (bounces and complaints come back
    through it); returns the SES message id.

    botocore retries throttling and transient errors (fewer times ``in_request``, when a person's
    page waits on the mail: aws.ATTEMPTS_IN_REQUEST); what still fails raises SendFailed so the
    caller retries later or reports it instead of dropping the mail.
    """
    attempts = aws.ATTEMPTS_IN_REQUEST if in_request else aws.ATTEMPTS
    try:
        response = aws.client("ses", attempts=attempts).send_raw_email(
            Source=config.mail_from_address(),
            Destinations=[to],
            RawMessage={"Data": message.as_bytes()},
            ConfigurationSetName=config.mail_configuration_set(),
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "ClientError")
        log.error("mail send failed", extra={"error": code})
        raise SendFailed(code) from error
    except BotoCoreError as error:
        log.error("mail send failed", extra={"error": type(error).__name__})
        raise SendFailed(type(error).__name__) from error
    return response["MessageId"]
