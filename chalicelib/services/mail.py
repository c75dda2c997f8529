"""E-mails the app sends, rendered from templates/email/ (each as .txt and .html)."""
from __future__ import annotations

from datetime import datetime

from chalicelib import templating
from chalicelib.adapters import config, ses
from chalicelib.messages import t
from chalicelib.models.agency import AgencySettings
from chalicelib.models.notifications import MailEvent, Notification
from chalicelib.models.requests import Request
from chalicelib.models.users import User
from chalicelib.services.workflow import LABELS


def _send(template: str, *, to: User, agency: AgencySettings, headers: dict[str, str] | None = None,
          **context: object) -> str:
    context = {"agency": agency, "site_url": config.site_url(), **context}
    subject = templating.render_text(f"email/{template}.subject.txt", **context).strip()
    message = ses.build_message(
        to=to.email,
        to_name=t("mail.to_name", name=to.name),
        subject=subject,
        text=templating.render_text(f"email/{template}.txt", **context),
        html=templating.render(f"email/{template}.html", **context),
        sender_name=agency.mail_sender_name,
        headers=headers,
    )
    return ses.send(message, to=to.email)


def send_login_guidance(user: User, temporary_password: str, expires_at: datetime) -> str:
    """ログインのご案内: user ID, temporary password, login URL and its expiry."""
    return _send(
        "login_guidance",
        to=user,
        agency=AgencySettings.load(),
        user=user,
        temporary_password=temporary_password,
        expires_at=expires_at,
        login_url=f"{config.site_url()}/login",
    )


def send_password_reset(user: User, reset_url: str, valid_until: datetime) -> str:
    """パスワード再設定: a one-time link, valid for a short time."""
    return _send("password_reset", to=user, agency=AgencySettings.load(), user=user,
                 reset_url=reset_url, valid_until=valid_until)


def send_notification(notification: Notification, event: MailEvent, *, request: Request, recipient: User,
                      agency: AgencySettings) -> str:
    """One notification about a request. Every mail about a request refers to the same thread
    root, so mail clients group them; the subject stays the same for the same reason."""
    domain = ses.no_reply_domain()
    thread_root = f"<request.{request.request_id}@{domain}>"
    return _send(
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
