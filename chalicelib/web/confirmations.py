"""Costly or final actions ask first: 取り下げる (a request), 承認 (an estimate: spends points at
完了), 無効にする (an account).

One rule for the three routes: a POST without ``confirmed=1`` performs nothing and answers with
a confirmation page (200) that says what will happen and posts the same form again with
``confirmed=1``; with JavaScript the page's own <dialog> asks and sets ``confirmed=1`` itself
(static/js/confirm.js). The page is shown only when the action is allowed now; otherwise the
route runs the service, which refuses as it always did (so a page never offers what the service
would refuse, and a refusal still reads the same).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field

from chalicelib.messages import t
from chalicelib.services import pointrules as r
from chalicelib.web.forms import field, form
from chalicelib.web.responses import page


@dataclass(frozen=True)
class Confirmation:
    """What the dialog and the confirmation page say, and where the confirmed form goes."""

    key: str                 # the dialog's id: "confirm-<key>"
    title: str               # a question: 「この依頼を取り下げますか?」
    lines: list[str]         # what will happen
    button: str              # 「はい、取り下げる」
    action: str              # the route the form posts to
    back: str                # where the page's 「…に戻る」 leads without JavaScript
    back_label: str          # that page's title: the link reads 「<back_label>に戻る」
    facts: list[tuple[str, str]] = dataclass_field(default_factory=list)  # shown as a list: 件名, 合計
    final: bool = False      # cannot simply be taken back: the confirm button is drawn as a warning

    @property
    def dialog_id(self) -> str:
        return f"confirm-{self.key}"


def confirmed() -> bool:
    """Whether the form was sent from the confirmation (the dialog or the page)."""
    return field("confirmed") == "1"


def ask(confirmation: Confirmation, *, keep: tuple[str, ...]):
    """The confirmation page; its form sends the fields named in ``keep`` again, as posted."""
    posted = form()
    hidden = [(name, posted.get(name, "")) for name in keep]
    return page("confirm.html", confirmation=confirmation, hidden=hidden)


def withdraw(request) -> Confirmation:
    path = f"/requests/{request.request_id}"
    return Confirmation(key="withdraw", title=t("confirm.withdraw.title"), lines=[t("confirm.withdraw.effect")],
                        button=t("confirm.withdraw.button"), action=f"{path}/withdraw", back=path,
                        back_label=f"#{request.number} {request.title}", final=True,
                        facts=[(t("confirm.request"), f"#{request.number} {request.title}")])


def approve(request, estimate, summary) -> Confirmation:
    """承認: how many points the estimate spends at 完了, and what that leaves (or the month's usage)."""
    path = f"/requests/{request.request_id}"
    total = estimate.total_tenths
    facts = [(t("confirm.request"), f"#{request.number} {request.title}"),
             (t("confirm.approve.total"), f"{r.format_points(total)} pt")]
    if summary is not None and summary.shows_balance:
        after = summary.balance.tenths - total
        facts.append((t("confirm.approve.balance"), f"{r.format_points(summary.balance.tenths)} pt → {r.format_points(after)} pt"))
    elif summary is not None:
        usage = summary.month_usage_tenths
        facts.append((t("confirm.approve.usage"), f"{r.format_points(usage)} pt → {r.format_points(usage + total)} pt"))
    return Confirmation(key="approve", title=t("confirm.approve.title"),
                        lines=[t("confirm.approve.effect", points=r.format_points(total))],
                        button=t("confirm.approve.button"), action=f"{path}/estimate/approve",
                        back=f"{path}#estimate-title",
                        back_label=f"#{request.number} {request.title}", facts=facts)


def deactivate(account) -> Confirmation:
    path = f"/accounts/{account.user_id}"
    return Confirmation(key="deactivate", title=t("confirm.deactivate.title", name=account.name),
                        lines=[t("confirm.deactivate.effect")], button=t("confirm.deactivate.button"),
                        action=f"{path}/deactivate", back=path,
                        back_label=t("nav.account_detail"), final=True,
                        facts=[(t("confirm.account"), f"{account.name}({account.user_id})")])


def issue_invoice(invoice) -> Confirmation:
    """発行: final; the invoice gets its number and can only be cancelled afterwards."""
    path = f"/invoices/{invoice.invoice_id}"
    return Confirmation(key="issue", title=t("confirm.issue.title"), lines=[t("confirm.issue.effect")],
                        button=t("confirm.issue.button"), action=f"{path}/issue", back=path,
                        back_label=t("nav.invoice"), final=True,
                        facts=[(t("confirm.issue.recipient"), invoice.recipient),
                               (t("confirm.issue.month"), r.month_label(invoice.month)),
                               (t("confirm.issue.total"), f"{int(invoice.total):,}円")])


def cancel_invoice(invoice) -> Confirmation:
    path = f"/invoices/{invoice.invoice_id}"
    return Confirmation(key="cancel", title=t("confirm.cancel.title"), lines=[t("confirm.cancel.effect")],
                        button=t("confirm.cancel.button"), action=f"{path}/cancel", back=path,
                        back_label=t("nav.invoice"), final=True,
                        facts=[(t("confirm.issue.recipient"), invoice.recipient),
                               (t("confirm.issue.total"), f"{int(invoice.total):,}円")])


def delete_chat(destination) -> Confirmation:
    """削除 of a chat destination: what it would have been told is lost with it."""
    path = f"/settings/chat/{destination.destination_id}"
    return Confirmation(key="chat-delete", title=t("confirm.chat_delete.title", name=destination.name),
                        lines=[t("confirm.chat_delete.effect")], button=t("confirm.chat_delete.button"),
                        action=f"{path}/delete", back=path, back_label=destination.name, final=True)
