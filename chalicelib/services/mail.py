"""E-mails the app sends, rendered from templates/email/ (each as .txt and .html)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib import templating
from chalicelib.adapters import config, ses
from chalicelib.messages import t
from chalicelib.models.agency import AgencySettings
from chalicelib.models.notifications import MailEvent, Notification
from chalicelib.models.requests import Request
from chalicelib.models.users import User
from chalicelib.services.agency import who_to_ask
from chalicelib.services import validation as v
from chalicelib.services.workflow import LABELS

if TYPE_CHECKING:
    from email.message import EmailMessage


def _message(template: str, *, to: User, agency: AgencySettings, headers: dict[str, str] | None = None,
             **context: object) -> EmailMessage:
    """The mail ``template`` renders for ``to``. Never refused by the email library whatever the
    stored text holds (names, titles and settings saved before the single-line cleaner existed may
    carry U+2028, a lone CR or NUL): every header is cleaned by validation.one_line and both bodies
    by validation.multi_line when the mail is built."""
    context = {"agency": agency, "site_url": config.site_url(), **context}
    subject = templating.render_text(f"email/{template}.subject.txt", **context)
    return ses.build_message(
        to=to.email,
        to_name=v.one_line(t("mail.to_name", name=to.name)),
        subject=v.one_line(subject),
        text=v.multi_line(templating.render_text(f"email/{template}.txt", **context)),
        html=v.multi_line(templating.render(f"email/{template}.html", **context)),
        sender_name=v.one_line(agency.mail_sender_name),
        headers={name: v.one_line(value) for name, value in (headers or {}).items()},
    )


def _send(template: str, *, to: User, agency: AgencySettings, headers: dict[str, str] | None = None,
          **context: object) -> str:
    return ses.send(_message(template, to=to, agency=agency, headers=headers, **context), to=to.email)


def send_login_guidance(user: User, temporary_password: str, expires_at: datetime) -> str:
    """ログインのご案内: user ID, temporary password, login URL and its expiry."""
    settings = AgencySettings.load()
    return _send(
        "login_guidance",
        to=user,
        agency=settings,
        user=user,
        temporary_password=temporary_password,
        expires_at=expires_at,
        ask=who_to_ask(user, settings),
        login_url=f"{config.site_url()}/login",
    )


def send_account_changed(user: User, *, changes: list[tuple[str, str, str]], actor: User, at: datetime) -> str:
    """アカウントの変更: what changed on the account ((label, old, new)), who changed it and when."""
    settings = AgencySettings.load()
    return _send("account_changed", to=user, agency=settings, user=user, changes=changes,
                 actor_name=actor.name, at=at, login_url=f"{config.site_url()}/login", ask=who_to_ask(user, settings))


def send_password_reset(links: list[tuple[User, str]], valid_until: datetime) -> str:
    """パスワード再設定: one mail to the address the accounts share, each account's user ID with
    its own one-time link (``links``: (account, link)), valid for a short time."""
    first = links[0][0]
    return _send("password_reset", to=first, agency=AgencySettings.load(), user=first, links=links,
                 valid_until=valid_until)


def notification_message(notification: Notification, event: MailEvent, *, request: Request, recipient: User,
                         agency: AgencySettings) -> EmailMessage:
    """One notification about a request, rendered. Every mail about a request refers to the same
    thread root, so mail clients group them; the subject stays the same for the same reason."""
    domain = ses.no_reply_domain()
    thread_root = f"<request.{request.request_id}@{domain}>"
    return _message(
        "notification",
        to=recipient,
        agency=agency,
        headers={
            "References": thread_root,
            "In-Reply-To": thread_root,
        },
        n=notification,
        e=event,
        request=request,
        status_label=LABELS[request.status],
        recipient=recipient,
        request_url=f"{config.site_url()}/requests/{request.request_id}",
        preferences_url=f"{config.site_url()}/account/mail",
    )


def send_notification(notification: Notification, event: MailEvent, *, request: Request, recipient: User,
                      agency: AgencySettings) -> str:
    """Send one notification about a request (see notification_message); raises SendFailed."""
    message = notification_message(notification, event, request=request, recipient=recipient, agency=agency)
    return ses.send(message, to=recipient.email)
