"""請求書: the billing settings, the agency's list (search, CSV), a company's invoices, one
invoice (a draft's form, 発行, 取消) and its PDF; the client admin's own invoices."""
from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote, urlencode

from chalice import Blueprint, Response

from chalicelib.messages import INVOICE_STATE_LABELS, PAYMENT_TERM_LABELS, ROUNDING_LABELS, t
from chalicelib.services import audit, companies, invoices, ledger, permissions, tax, validation
from chalicelib.services import pointrules as r
from chalicelib.services.auth import SignedIn
from chalicelib.web import confirmations
from chalicelib.web import points as points_web
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit, values
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

NOTICES = {"saved": "invoice.saved", "created": "invoice.created", "cancelled": "invoice.cancelled",
           "deleted": "invoice.deleted", "billing_saved": "billing.saved"}


def _query(name: str) -> str:
    return (bp.current_request.query_params or {}).get(name, "")


def _notice() -> str | None:
    key = NOTICES.get(_query("notice"))
    return t(key) if key else None


def labels() -> dict:
    return dict(state_labels=INVOICE_STATE_LABELS, term_labels=PAYMENT_TERM_LABELS, rounding_labels=ROUNDING_LABELS,
                yen=invoices.yen, number_text=invoices.number_text, month_label=r.month_label,
                rates=tax.RATES)


# 請求書の設定.

def _billing_page(me: SignedIn, *, status: int = 200, form: dict | None = None, errors: dict | None = None):
    settings = invoices.billing_settings(me.user)
    return page("settings/billing.html", status=status, billing=settings, form=form or asdict(invoices.BillingForm(
        **{name: getattr(settings, name) for name in invoices.BILLING_FIELDS})), errors=errors or {},
        notice=_notice(), **labels())


@bp.route("/settings/billing", methods=["GET"])
@signed_in_page
def billing_form(me: SignedIn):
    return _billing_page(me)


@bp.route("/settings/billing", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def billing_save(me: SignedIn):
    form = invoices.BillingForm(**{name: field(name, strip=name not in ("address", "bank_account"))
                                   for name in invoices.BILLING_FIELDS})
    raw_version = field("version")
    return submit(lambda: invoices.save_billing(me.user, form, version=validation.whole_number(raw_version)),
                  done=lambda _: redirect("/settings/billing?notice=billing_saved"),
                  refuse=lambda status, errors: _billing_page(me, status=status, form=asdict(form), errors=errors))


# The agency's list of every invoice; the client admin's own.

def _search_form() -> invoices.SearchForm:
    return invoices.SearchForm(issued_from=_query("issued_from"), issued_to=_query("issued_to"),
                               amount_min=_query("amount_min"), amount_max=_query("amount_max"),
                               company_id=_query("company_id"))


@bp.route("/invoices", methods=["GET"])
@signed_in_page
def invoice_list(me: SignedIn):
    if not me.user.is_agency:
        listed = invoices.company_invoices(me.user, me.user.company_id)
        return page("invoices/own.html", invoices=listed, **labels())
    form = _search_form()
    choices = companies.company_choices(me.user)
    csv_link = "/invoices.csv?" + urlencode({k: v for k, v in asdict(form).items() if v})
    return submit(lambda: invoices.search(me.user, form),
                  done=lambda found: page("invoices/list.html", found=found, form=form, errors={}, choices=choices,
                                          csv_link=csv_link, billing=invoices.billing_settings(me.user), **labels()),
                  refuse=lambda status, errors: page("invoices/list.html", status=status, found=None, form=form,
                                                     errors=errors, choices=choices, csv_link=None,
                                                     billing=invoices.billing_settings(me.user), **labels()),
                  conflict=False)


@bp.route("/invoices.csv", methods=["GET"])
@signed_in_page
def invoice_csv(me: SignedIn):
    def download(found):
        name = t("invoice.csv_filename")
        # The agency's own list (every company's, or the one the search names): internal.
        audit.record("invoices_exported", actor=me.user, target="invoices", target_name=name,
                     company_id=form.company_id or None, internal=True,
                     changes={"rows": {"old": "", "new": str(len(found.invoices))}})
        return Response(body=invoices.invoices_csv(found.invoices).decode("utf-8"), status_code=200,
                        headers={"Content-Type": "text/csv; charset=utf-8",
                                 "Content-Disposition": f"attachment; filename=\"invoices.csv\"; "
                                                        f"filename*=UTF-8''{quote(name)}"})

    form = _search_form()
    return submit(lambda: invoices.search(me.user, form), done=download,
                  refuse=lambda status, errors: page("invoices/list.html", status=status, found=None, form=form,
                                                     errors=errors, choices=companies.company_choices(me.user),
                                                     csv_link=None, billing=invoices.billing_settings(me.user),
                                                     **labels()),
                  conflict=False)


# A company's invoices (the agency's), and a new draft for a month.

def _company_page(me: SignedIn, company_id: str, *, status: int = 200, errors: dict | None = None,
                  month: str | None = None):
    company = invoices.company_for(me.user, company_id)
    listed = invoices.company_invoices(me.user, company_id)
    # Invoices are mostly made for the month just ended.
    month = month or r.previous_month(r.month_of(ledger.today_jst()))
    return page("invoices/company.html", status=status, company=company, invoices=listed, errors=errors or {},
                billing=invoices.billing_settings(me.user), notice=_notice(),
                **{**labels(), **points_web.month_choices(month)})


@bp.route("/clients/{company_id}/invoices", methods=["GET"])
@signed_in_page
def company_invoices(me: SignedIn, company_id: str):
    return _company_page(me, company_id)


@bp.route("/clients/{company_id}/invoices", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def draft_create(me: SignedIn, company_id: str):
    month = points_web.picked_month(field("year"), field("month_number"))
    return submit(lambda: invoices.create_draft(me.user, company_id, month),
                  done=lambda invoice: redirect(f"/invoices/{invoice.invoice_id}?notice=created"),
                  refuse=lambda status, errors: _company_page(me, company_id, status=status, errors=errors,
                                                              month=month if r.is_month(month) else None),
                  conflict=False)


# One invoice.

def _posted_draft() -> invoices.DraftForm:
    count = min(validation.whole_number(field("line_count"), 0) or 0, invoices.LINES_MAX + invoices.BLANK_LINES)
    removed = set(values("remove"))
    lines = [invoices.LineForm(description=field(f"line-{i}-description"), quantity=field(f"line-{i}-quantity"),
                               unit=field(f"line-{i}-unit"), unit_price=field(f"line-{i}-unit_price"),
                               tax_rate=field(f"line-{i}-tax_rate") or str(tax.STANDARD_RATE), remove=str(i) in removed)
             for i in range(count)]
    return invoices.DraftForm(lines=lines, due_on=field("due_on"), note=field("note", strip=False))


def _invoice_page(me: SignedIn, invoice_id: str, *, status: int = 200, errors: dict | None = None,
                  draft: invoices.DraftForm | None = None, reason: str = "", notice: str | None = None):
    invoice = invoices.invoice_for(me.user, invoice_id)
    manage = permissions.can(me.user, permissions.INVOICE_MANAGE)
    if invoice.state == "draft" and draft is None:
        draft = invoices.DraftForm.of(invoice)
    if draft is not None:
        kept = [line for line in draft.lines if not line.blank]
        draft.lines = kept + [invoices.LineForm() for _ in range(invoices.BLANK_LINES)]
    billing = invoices.billing_settings(me.user) if manage else None
    asks = {"issue": confirmations.issue_invoice(invoice), "cancel": confirmations.cancel_invoice(invoice)}
    return page("invoices/show.html", status=status, invoice=invoice, manage=manage, draft=draft, errors=errors or {},
                reason=reason, billing=billing, asks=asks, notice=notice or _notice(), **labels())


@bp.route("/invoices/{invoice_id}", methods=["GET"])
@signed_in_page
def invoice_show(me: SignedIn, invoice_id: str):
    notice = None
    if _query("notice") == "issued":
        invoice = invoices.invoice_for(me.user, invoice_id)
        key = "invoice.issued_pdf_later" if _query("pdf") == "later" else "invoice.issued"
        notice = t(key, number=invoices.number_text(invoice))
    return _invoice_page(me, invoice_id, notice=notice)


@bp.route("/invoices/{invoice_id}", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def draft_save(me: SignedIn, invoice_id: str):
    draft = _posted_draft()
    revision = validation.whole_number(field("revision"))
    return submit(lambda: invoices.save_draft(me.user, invoice_id, draft, revision=revision),
                  done=lambda invoice: redirect(f"/invoices/{invoice_id}?notice=saved"),
                  refuse=lambda status, errors: _invoice_page(me, invoice_id, status=status, errors=errors, draft=draft))


@bp.route("/invoices/{invoice_id}/issue", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def invoice_issue(me: SignedIn, invoice_id: str):
    """発行: final, so it asks first (web/confirmations.py)."""
    if not confirmations.confirmed():
        invoice = invoices.managed_invoice(me.user, invoice_id)
        if invoice.state == "draft":
            return confirmations.ask(confirmations.issue_invoice(invoice), keep=("revision",))
    revision = validation.whole_number(field("revision"))
    return submit(lambda: invoices.issue(me.user, invoice_id, revision=revision),
                  done=lambda issued: redirect(f"/invoices/{invoice_id}?notice=issued"
                                               + ("" if issued.pdf_stored else "&pdf=later")),
                  refuse=lambda status, errors: _invoice_page(me, invoice_id, status=status, errors=errors))


@bp.route("/invoices/{invoice_id}/cancel", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def invoice_cancel(me: SignedIn, invoice_id: str):
    """取消: final, so it asks first (web/confirmations.py), once the reason is one it would take."""
    reason = field("reason", strip=False)

    def cancel():
        if not confirmations.confirmed():
            invoice, _ = invoices.cancellable(me.user, invoice_id, reason=reason)
            return confirmations.ask(confirmations.cancel_invoice(invoice), keep=("reason",))
        invoices.cancel(me.user, invoice_id, reason=reason)
        return redirect(f"/invoices/{invoice_id}?notice=cancelled")

    return submit(cancel, done=lambda response: response,
                  refuse=lambda status, errors: _invoice_page(me, invoice_id, status=status, errors=errors,
                                                              reason=reason))


@bp.route("/invoices/{invoice_id}/delete", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def draft_delete(me: SignedIn, invoice_id: str):
    revision = validation.whole_number(field("revision"))
    return submit(lambda: invoices.delete_draft(me.user, invoice_id, revision=revision),
                  done=lambda invoice: redirect(f"/clients/{invoice.company_id}/invoices?notice=deleted"),
                  refuse=lambda status, errors: _invoice_page(me, invoice_id, status=status, errors=errors))


@bp.route("/invoices/{invoice_id}/pdf", methods=["GET"])
@signed_in_page
def invoice_pdf(me: SignedIn, invoice_id: str):
    """After the permission check, a short-lived S3 link that downloads the stored PDF."""
    return redirect(invoices.pdf_link(me.user, invoice_id))
