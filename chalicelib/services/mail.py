"""E-mails the app sends, rendered from templates/email/ (each as .txt and .html)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib import templating
from chalicelib.adapters import config, ses
from chalicelib.messages import STATE_LABELS, t
from chalicelib.models.agency import AgencySettings
from chalicelib.models.notifications import MailEvent, Notification
from chalicelib.models.requests import Request
from chalicelib.models.users import User
from chalicelib.services import pointrules as r
from chalicelib.services.agency import who_to_ask
from chalicelib.services import validation as v
from chalicelib.services import workflow
from chalicelib.services.workflow import LABELS

if TYPE_CHECKING:
    from email.message import EmailMessage


def build(template: str, *, to: User, agency: AgencySettings, headers: dict[str, str] | None = None,
          **context: object) -> EmailMessage:
    """The mail ``template`` renders for ``to``. Never refused by the email library whatever the
    stored text holds (names, titles and settings saved before the single-line cleaner existed may
    carry U+2028, a lone CR or NUL): every header is cleaned by validation.one_line and both bodies
    by validation.multi_line when the mail is built."""
    context = {"agency": agency, "site_url": config.site_url(),
               "colour": agency.colour, **context}
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
    # ログインのご案内, アカウントの変更 and パスワード再設定 leave while the page that caused them waits.
    return ses.send(build(template, to=to, agency=agency, headers=headers, **context), to=to.email, in_request=True)


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


# Which event names a mail that tells several: the one that asks the most of the reader.
_LEAD = ("estimate", "waiting", "done", "reopened", "withdrawn", "estimate_approved", "estimate_returned",
         "created", "status", "assigned", "comment")


def _kind(e: MailEvent) -> str:
    """What the event is, as the subject names it (templates/email/_notification_kind.txt)."""
    if e.event == "status":
        if e.old_value in (LABELS[workflow.DONE], LABELS[workflow.WITHDRAWN]) and e.new_value not in (
                LABELS[workflow.DONE], LABELS[workflow.WITHDRAWN]):
            return "reopened"
        return {LABELS[workflow.WAITING]: "waiting", LABELS[workflow.DONE]: "done",
                LABELS[workflow.WITHDRAWN]: "withdrawn"}.get(e.new_value or "", "status")
    if e.event == "estimate_answer":
        return "estimate_returned" if e.new_value == STATE_LABELS["returned"] else "estimate_approved"
    return e.event if e.event in _LEAD else "status"


def _points(e: MailEvent) -> dict[str, str] | None:
    """What a 完了 charged and what is left (or the month's usage), formatted, or None."""
    if e.charged_tenths is None:
        return None
    points = {"charged": r.format_points(int(e.charged_tenths))}
    if e.left_tenths is not None:
        points["left"] = r.format_points(int(e.left_tenths))
    if e.usage_tenths is not None:
        points["usage"] = r.format_points(int(e.usage_tenths))
        points["month"] = f"{int(e.usage_month[:4])}年{int(e.usage_month[5:7])}月" if e.usage_month else ""
    return points


def notification_message(told: list[tuple[Notification, MailEvent]], *, request: Request, recipient: User,
                         agency: AgencySettings) -> EmailMessage:
    """One mail to ``recipient`` telling the events of ``told`` (oldest first) on a request.

    The subject names the event that asks the most of the reader, then the company, number and
    件名, which stay the same for every mail about the request; every mail refers to the same
    thread root, so mail clients group them."""
    domain = ses.no_reply_domain()
    thread_root = f"<request.{request.request_id}@{domain}>"
    kinds = [_kind(e) for _, e in told]
    events = [{"n": n, "e": e, "kind": kind, "points": _points(e)} for (n, e), kind in zip(told, kinds)]
    return build(
        "notification",
        to=recipient,
        agency=agency,
        headers={
            "References": thread_root,
            "In-Reply-To": thread_root,
        },
        events=events,
        lead=min(kinds, key=_LEAD.index),
        following=any(n.relation == "participant" for n, _ in told),
        request=request,
        status_label=LABELS[request.status],
        due_date=request.due_date or "",  # ISO; the templates write it as every date (|date)
        recipient=recipient,
        request_url=f"{config.site_url()}/requests/{request.request_id}",
        preferences_url=f"{config.site_url()}/account/mail",
    )


def send_notification(told: list[tuple[Notification, MailEvent]], *, request: Request, recipient: User,
                      agency: AgencySettings) -> str:
    """Send one mail telling the events of ``told`` (see notification_message); raises SendFailed."""
    message = notification_message(told, request=request, recipient=recipient, agency=agency)
    return ses.send(message, to=recipient.email)


def send_report(user: User, *, company, month: str, sender_name: str, sent_at: datetime, url: str) -> str:
    """月次保守レポート: the link to a company's sent report, to one of its admins. Sent while the
    agency's 送信 waits (as the account mails are); raises SendFailed."""
    return _send("report_sent", to=user, agency=AgencySettings.load(), user=user, company_name=company.name,
                 month_label=r.month_label(month), sender_name=sender_name, sent_at=sent_at, report_url=url,
                 login_url=f"{config.site_url()}/login")
