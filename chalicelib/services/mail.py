"""E-mails the app sends, rendered from templates/email/ (each as .txt and .html)."""
from __future__ import annotations

from datetime import datetime

from chalicelib import templating
from chalicelib.adapters import config, ses
from chalicelib.models.agency import AgencySettings
from chalicelib.models.users import User


def _send(template: str, *, to: str, agency: AgencySettings, **context: object) -> str:
    context = {"agency": agency, "site_url": config.site_url(), **context}
    subject = templating.render_text(f"email/{template}.subject.txt", **context).strip()
    message = ses.build_message(
        to=to,
        subject=subject,
        text=templating.render_text(f"email/{template}.txt", **context),
        html=templating.render(f"email/{template}.html", **context),
        sender_name=agency.mail_sender_name,
    )
    return ses.send(message)


def send_login_guidance(user: User, temporary_password: str, expires_at: datetime) -> str:
    """ログインのご案内: user ID, temporary password, login URL and its expiry."""
    return _send(
        "login_guidance",
        to=user.email,
        agency=AgencySettings.load(),
        user=user,
        temporary_password=temporary_password,
        expires_at=expires_at,
        login_url=f"{config.site_url()}/login",
    )


def send_password_reset(user: User, reset_url: str, valid_until: datetime) -> str:
    """パスワード再設定: a one-time link, valid for a short time."""
    return _send("password_reset", to=user.email, agency=AgencySettings.load(), user=user,
                 reset_url=reset_url, valid_until=valid_until)
