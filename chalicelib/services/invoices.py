"""請求書: the agency's billing settings, drafts made from the month, 発行 and 取消, the lists.

A draft is made from what Irai already knows of the company's month: the contract's 月額保守料金,
the 後払い usage (points x unit price, as the 月次明細 counts it) and the チャージ sold for a price.
The agency then adds, changes or removes lines before 発行.

発行 is final. One transaction gives the invoice the next 請求書番号 (the counter moves only if the
invoice is still the draft that was shown, and only from the number that was read, so two
admins issuing at once get two numbers, never one twice and never a gap) and freezes on it
everything it says: the issuer as the settings are then, the recipient, the lines, the totals.
Its PDF is then written once to S3 (``s3.put_once``: a key that already holds one is never
written again). A mistake is corrected by 取消 (with its reason; the number stays used) and a
new invoice.
"""
from __future__ import annotations

import random
import re
import time
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib import templating
from chalicelib.adapters import pdf, s3
from chalicelib.clock import format_jst, today_in_japan, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound, ServiceUnavailable
from chalicelib.messages import INVOICE_CSV_HEADER, INVOICE_STATE_LABELS, PAYMENT_TERM_LABELS, t
from chalicelib.models.base import TransactionFailed, is_condition_failure, transact
from chalicelib.models.companies import Company
from chalicelib.models.ids import is_id
from chalicelib.models.invoices import (CANCELLED, DRAFT, ISSUED, BillingSettings, Invoice, InvoiceCounter,
                                        InvoiceLine, RateTotal)
from chalicelib.models.points import Contract, LedgerEntry
from chalicelib.models.users import User
from chalicelib.services import audit, permissions, statements, tax
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v

LINES_MAX = 30
BLANK_LINES = 3          # empty rows the draft form offers for new lines
DESCRIPTION_MAX = 100
UNIT_MAX = 10
QUANTITY_MAX = Decimal(100_000)
PRICE_MAX = 100_000_000  # yen, either sign
NOTE_MAX = 500
BANK_MAX = 300
ADDRESS_MAX = 200
REASON_MAX = 200
ISSUE_ATTEMPTS = 30      # the counter moved under us: read it again
LIST_LIMIT = 500         # issued invoices one search reads (an agency issues a few dozen a month)
PDF_TYPE = "application/pdf"

REGISTRATION_NUMBER = re.compile(r"T[0-9]{13}")
PAYMENT_TERMS = tuple(PAYMENT_TERM_LABELS)
DEFAULT_TERMS = "next_month_end"


# ---- Billing settings ----------------------------------------------------------------------

@dataclass
class BillingForm:
    issuer_name: str = ""
    registration_number: str = ""
    address: str = ""
    phone: str = ""
    bank_account: str = ""
    payment_terms: str = DEFAULT_TERMS
    tax_rounding: str = tax.FLOOR


BILLING_FIELDS = ("issuer_name", "registration_number", "address", "phone", "bank_account", "payment_terms",
                  "tax_rounding")


def billing_settings(actor: User) -> BillingSettings:
    permissions.authorize(actor, permissions.INVOICE_MANAGE, agency_target=True)
    return BillingSettings.load()


def clean_registration_number(raw: str, errors: dict) -> str:
    """適格請求書発行事業者登録番号: "T" and 13 digits. Full-width, a lower-case t, spaces and
    hyphens as printed on the notice ("T1-2345-6789-0123") are read; anything else is refused."""
    value = re.sub(r"[\s\-‐−ー]", "", v.normalise_width(raw or "")).upper()
    if not value:
        errors["registration_number"] = t("required")
    elif not REGISTRATION_NUMBER.fullmatch(value):
        errors["registration_number"] = t("billing.registration_number")
    return value


def save_billing(actor: User, form: BillingForm, *, version: int | None) -> BillingSettings:
    permissions.authorize(actor, permissions.INVOICE_MANAGE, agency_target=True)
    errors = v.FieldErrors()
    issuer = v.clean_line(form.issuer_name, errors, "issuer_name", maximum=v.COMPANY_MAX)
    number = clean_registration_number(form.registration_number, errors)
    address = v.text(errors, "address", form.address, maximum=ADDRESS_MAX, markup="billing.markup")
    phone_errors = v.FieldErrors()
    phone = v.clean_phone(form.phone, phone_errors)
    if phone_errors:
        errors["phone"] = phone_errors["phone"]
    bank = v.text(errors, "bank_account", form.bank_account, maximum=BANK_MAX, markup="billing.markup")
    if form.payment_terms not in PAYMENT_TERMS:
        errors["payment_terms"] = t("billing.choose")
    if form.tax_rounding not in tax.ROUNDINGS:
        errors["tax_rounding"] = t("billing.choose")
    if errors:
        raise Invalid({name: errors[name] for name in BILLING_FIELDS if name in errors})
    settings = BillingSettings.load()
    if settings.version != version:
        raise Conflict("billing settings changed meanwhile")
    settings.issuer_name, settings.registration_number, settings.address = issuer, number, address
    settings.phone, settings.bank_account = phone, bank
    settings.payment_terms, settings.tax_rounding = form.payment_terms, form.tax_rounding
    condition = BillingSettings.version == version if version is not None else BillingSettings.pk.does_not_exist()
    settings.version = (version or 0) + 1
    _conditional(lambda: settings.save(condition=condition))
    return settings


def due_date(month: str, terms: str) -> date:
    """支払期限 of an invoice for ``month`` under the settings' payment terms (翌月末, ...)."""
    year, number = int(month[:4]), int(month[5:7])
    if terms == "this_month_end":
        return date(year, number, monthrange(year, number)[1])
    following = r.next_month(month)
    if terms == "month_after_next_end":
        following = r.next_month(following)
    year, number = int(following[:4]), int(following[5:7])
    day = {"next_month_10": 10, "next_month_15": 15, "next_month_20": 20, "next_month_25": 25}.get(terms)
    return date(year, number, day or monthrange(year, number)[1])


# ---- Drafts --------------------------------------------------------------------------------

def company_for(actor: User, company_id: str) -> Company:
    """The company the agency makes invoices for (NotFound for anyone else, or no such company)."""
    permissions.authorize(actor, permissions.INVOICE_MANAGE, company_id=company_id)
    company = Company.find(company_id) if is_id(company_id) else None
    if company is None:
        raise NotFound()
    return company


def month_lines(actor: User, company_id: str, month: str, *, now: datetime | None = None) -> list[InvoiceLine]:
    """What the month makes due: the 月額保守料金, the 後払い usage, each チャージ sold for a price."""
    view = statements.statement(actor, company_id, month, now=now)
    label = r.month_label(month)
    lines = []
    contract: Contract | None = view.contract
    if contract is not None and int(contract.monthly_fee or 0) > 0:
        lines.append(_line(t("invoice.line_fee", month=label), Decimal(1), t("invoice.unit_set"),
                           int(contract.monthly_fee)))
    if view.amount is not None and view.usage_tenths > 0:
        lines.append(_line(t("invoice.line_usage", month=label), r.from_tenths(view.usage_tenths), "pt",
                           int(contract.unit_price)))
    oldest_first: list[LedgerEntry] = view.entries[::-1]
    for entry in oldest_first:
        if entry.entry_kind == r.TOPUP and entry.price_yen:
            lines.append(_line(t("invoice.line_topup", points=r.format_points(entry.delta_tenths),
                                 day=format_jst(entry.at, "%m/%d")), Decimal(1), t("invoice.unit_set"),
                               int(entry.price_yen)))
    return lines


def _line(description: str, quantity: Decimal, unit: str, unit_price: int, rate: int = tax.STANDARD_RATE):
    return InvoiceLine(description=description, quantity=_quantity_text(quantity), unit=unit, unit_price=unit_price,
                       amount=tax.line_amount(quantity, unit_price), tax_rate=rate)


def _quantity_text(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def _apply_totals(invoice: Invoice, rounding: str) -> tax.Totals:
    totals = tax.totals([(int(line.amount), int(line.tax_rate)) for line in invoice.lines], rounding)
    invoice.subtotal, invoice.tax, invoice.total = totals.subtotal, totals.tax, totals.total
    invoice.rate_totals = [RateTotal(rate=rate.rate, subtotal=rate.subtotal, tax=rate.tax) for rate in totals.rates]
    return totals


def create_draft(actor: User, company_id: str, month: str, *, now: datetime | None = None) -> Invoice:
    """A draft for the company's month, its lines made from the month; the draft already open for
    that month if there is one (so a second click does not make a second draft)."""
    company = company_for(actor, company_id)
    errors: dict[str, str] = {}
    if v.month(errors, "month", month) is None:
        raise Invalid(errors)
    now = now or utcnow()
    open_drafts = [invoice for invoice in Invoice.of_company(company_id, issued_only=False)
                   if invoice.state == DRAFT and invoice.month == month]
    if open_drafts:
        return open_drafts[0]
    billing = BillingSettings.load()
    invoice = Invoice.new_draft(company_id=company_id, created_at=now, recipient=company.name, month=month,
                                lines=month_lines(actor, company_id, month, now=now),
                                due_on=due_date(month, billing.payment_terms or DEFAULT_TERMS).isoformat(),
                                created_by=actor.name)
    _apply_totals(invoice, billing.tax_rounding or tax.FLOOR)
    invoice.save(condition=Invoice.pk.does_not_exist())
    return invoice


@dataclass
class LineForm:
    description: str = ""
    quantity: str = ""
    unit: str = ""
    unit_price: str = ""
    tax_rate: str = str(tax.STANDARD_RATE)
    remove: bool = False

    @property
    def blank(self) -> bool:
        return not any((self.description.strip(), self.quantity.strip(), self.unit.strip(), self.unit_price.strip()))

    @classmethod
    def of(cls, line: InvoiceLine) -> "LineForm":
        return cls(description=line.description, quantity=line.quantity, unit=line.unit,
                   unit_price=str(int(line.unit_price)), tax_rate=str(int(line.tax_rate)))


@dataclass
class DraftForm:
    lines: list[LineForm] = field(default_factory=list)
    due_on: str = ""
    note: str = ""

    @classmethod
    def of(cls, invoice: Invoice) -> "DraftForm":
        return cls(lines=[LineForm.of(line) for line in invoice.lines], due_on=invoice.due_on, note=invoice.note)


def parse_price(raw: str) -> int | None:
    """A unit price in yen, "-" before it for a discount ("−" and full-width read too)."""
    text = r.ascii_width(raw).replace("−", "-").replace("ー", "-")
    negative = text.startswith("-")
    amount = r.parse_amount(text[1:] if negative else text)
    if amount is None or amount > PRICE_MAX:
        return None
    return -amount if negative else amount


def _clean_lines(form: DraftForm, errors: dict) -> list[InvoiceLine]:
    lines = []
    for index, line in enumerate(form.lines):
        if line.remove or line.blank:
            continue
        name = f"line-{index}"
        line_errors = v.FieldErrors()
        description = v.clean_line(line.description, line_errors, f"{name}-description", maximum=DESCRIPTION_MAX)
        unit = v.clean_line(line.unit, line_errors, f"{name}-unit", maximum=UNIT_MAX, required=False)
        try:
            quantity = r.parse_points(line.quantity)
            if quantity > QUANTITY_MAX:
                raise r.BadNumber("invoice.quantity")
        except r.BadNumber:
            line_errors[f"{name}-quantity"] = t("invoice.quantity")
            quantity = None
        price = parse_price(line.unit_price)
        if price is None:
            line_errors[f"{name}-unit_price"] = t("invoice.unit_price", max=f"{PRICE_MAX:,}")
        rate = v.whole_number(line.tax_rate)
        if rate not in tax.RATES:
            line_errors[f"{name}-tax_rate"] = t("invoice.tax_rate")
        errors.update(line_errors)
        if not line_errors:
            lines.append(_line(description, quantity, unit, price, rate))
    if len(lines) > LINES_MAX:
        errors["lines"] = t("invoice.too_many_lines", max=LINES_MAX)
    return lines


def save_draft(actor: User, invoice_id: str, form: DraftForm, *, revision: int | None) -> Invoice:
    """The draft's lines, 支払期限 and 備考 as the form has them (a line marked 削除 or left blank
    is dropped). Refused with each field's message; Conflict when someone saved or issued first."""
    invoice = managed_invoice(actor, invoice_id)
    errors: dict[str, str] = {}
    lines = _clean_lines(form, errors)
    due_on = v.iso_date(errors, "due_on", form.due_on, required=True)
    note = v.text(errors, "note", form.note, maximum=NOTE_MAX, required=False, markup="billing.markup")
    if errors:
        raise Invalid(errors)
    if invoice.state != DRAFT or revision is None or int(invoice.revision) != revision:
        raise Conflict("the draft changed meanwhile")
    invoice.lines, invoice.due_on, invoice.note = lines, due_on.isoformat(), note
    _apply_totals(invoice, BillingSettings.load().tax_rounding or tax.FLOOR)
    _conditional(lambda: invoice.update(actions=[
        Invoice.lines.set(invoice.lines), Invoice.due_on.set(invoice.due_on), Invoice.note.set(note),
        Invoice.subtotal.set(invoice.subtotal), Invoice.tax.set(invoice.tax), Invoice.total.set(invoice.total),
        Invoice.rate_totals.set(invoice.rate_totals), Invoice.revision.add(1)],
        condition=(Invoice.state == DRAFT) & (Invoice.revision == revision)))
    return invoice


def delete_draft(actor: User, invoice_id: str, *, revision: int | None) -> Invoice:
    invoice = managed_invoice(actor, invoice_id)
    if invoice.state != DRAFT or revision is None or int(invoice.revision) != revision:
        raise Conflict("the draft changed meanwhile")
    _conditional(lambda: invoice.delete(condition=(Invoice.state == DRAFT) & (Invoice.revision == revision)))
    return invoice


def _conditional(write) -> None:
    """Run one conditioned write; a failed condition (someone wrote first) is a Conflict."""
    try:
        write()
    except (PutError, UpdateError, DeleteError) as error:
        if is_condition_failure(error):
            raise Conflict("the invoice changed meanwhile") from None
        raise


# ---- 発行 and 取消 ---------------------------------------------------------------------------

@dataclass
class Issued:
    invoice: Invoice
    pdf_stored: bool  # False: S3 failed; the PDF is written on the first download instead


def issue(actor: User, invoice_id: str, *, revision: int | None, now: datetime | None = None) -> Issued:
    invoice = managed_invoice(actor, invoice_id)
    if invoice.state != DRAFT or revision is None or int(invoice.revision) != revision:
        raise Conflict("the draft changed meanwhile")
    billing = BillingSettings.load()
    if not billing.complete:
        raise Invalid({"_form": t("invoice.billing_incomplete")})
    if not invoice.lines:
        raise Invalid({"_form": t("invoice.no_lines")})
    company = Company.find(invoice.company_id)
    if company is None:
        raise NotFound()
    now = now or utcnow()
    issued_on = today_in_japan(now).isoformat()
    _apply_totals(invoice, billing.tax_rounding)
    frozen = [Invoice.state.set(ISSUED), Invoice.issued_on.set(issued_on), Invoice.issued_at.set(now),
              Invoice.issued_by.set(actor.name), Invoice.recipient.set(company.name),
              Invoice.issuer_name.set(billing.issuer_name), Invoice.registration_number.set(billing.registration_number),
              Invoice.issuer_address.set(billing.address), Invoice.issuer_phone.set(billing.phone),
              Invoice.bank_account.set(billing.bank_account), Invoice.tax_rounding.set(billing.tax_rounding),
              Invoice.subtotal.set(invoice.subtotal), Invoice.tax.set(invoice.tax), Invoice.total.set(invoice.total),
              Invoice.rate_totals.set(invoice.rate_totals), Invoice.revision.add(1),
              Invoice.pdf_key.set(f"documents/invoices/{invoice.invoice_id}.pdf")]
    for attempt in range(ISSUE_ATTEMPTS):
        last = InvoiceCounter.current()
        number = last + 1
        listed = Invoice.issued_sort_key(issued_on, number)

        def write(tx):
            counter = InvoiceCounter(*InvoiceCounter.KEYS)
            tx.update(counter, [InvoiceCounter.last_number.set(number)],
                      condition=(InvoiceCounter.last_number == last) if last else InvoiceCounter.pk.does_not_exist(),
                      label="counter")
            tx.update(invoice, frozen + [Invoice.number.set(number), Invoice.gsi1sk.set(listed),
                                         Invoice.gsi2sk.set(listed)],
                      condition=(Invoice.state == DRAFT) & (Invoice.revision == revision), label="invoice")

        try:
            transact(write)
        except TransactionFailed as error:
            if error.failed("invoice"):
                raise Conflict("the draft changed meanwhile") from None
            if error.failed("counter"):
                time.sleep(random.uniform(0, 0.01 * min(attempt + 1, 5)))
                continue
            raise
        break
    else:
        raise Conflict("the invoice counter kept moving")
    issued = Invoice.find(invoice.invoice_id)
    try:
        store_pdf(issued)
    except ServiceUnavailable:
        return Issued(issued, pdf_stored=False)
    return Issued(issued, pdf_stored=True)


def cancellable(actor: User, invoice_id: str, *, reason: str) -> tuple[Invoice, str]:
    """The issued invoice and the cleaned reason of a 取消 asked for; Invalid for a bad reason,
    Conflict when the invoice is not issued (a draft, or cancelled already)."""
    invoice = managed_invoice(actor, invoice_id)
    errors: dict[str, str] = {}
    reason = v.text(errors, "reason", reason, maximum=REASON_MAX, single_line=True, markup="billing.markup")
    if errors:
        raise Invalid(errors)
    if invoice.state != ISSUED:
        raise Conflict("only an issued invoice can be cancelled")
    return invoice, reason


def cancel(actor: User, invoice_id: str, *, reason: str, now: datetime | None = None) -> Invoice:
    """取消: the invoice stays, with its number and PDF, marked cancelled with its reason."""
    invoice, reason = cancellable(actor, invoice_id, reason=reason)
    now = now or utcnow()
    _conditional(lambda: invoice.update(actions=[
        Invoice.state.set(CANCELLED), Invoice.cancelled_at.set(now), Invoice.cancelled_by.set(actor.name),
        Invoice.cancel_reason.set(reason), Invoice.revision.add(1)], condition=Invoice.state == ISSUED))
    return invoice


# ---- Reading -------------------------------------------------------------------------------

def managed_invoice(actor: User, invoice_id: str) -> Invoice:
    """An invoice the agency works on (any state). A client asking is answered as for any of
    another company's things: NotFound, or Forbidden on its own company's."""
    invoice = Invoice.find(invoice_id) if is_id(invoice_id) else None
    permissions.authorize(actor, permissions.INVOICE_MANAGE, company_id=invoice.company_id if invoice else None,
                          agency_target=invoice is None)
    if invoice is None:
        raise NotFound()
    return invoice


def invoice_for(actor: User, invoice_id: str) -> Invoice:
    """The invoice as ``actor`` may see it: the agency's admin any; a client admin only its own
    company's issued (or cancelled) ones. A draft is not there for a client: NotFound."""
    if actor.is_agency:
        return managed_invoice(actor, invoice_id)
    invoice = Invoice.find(invoice_id) if is_id(invoice_id) else None
    if invoice is None or invoice.state == DRAFT:
        raise NotFound()
    permissions.authorize(actor, permissions.INVOICE_VIEW, company_id=invoice.company_id)
    return invoice


def company_invoices(actor: User, company_id: str) -> list[Invoice]:
    """The company's invoices, newest first: drafts too for the agency, issued ones for the client."""
    if permissions.can(actor, permissions.INVOICE_MANAGE):
        company_for(actor, company_id)
        return Invoice.of_company(company_id, issued_only=False)
    permissions.authorize(actor, permissions.INVOICE_VIEW, company_id=company_id)
    return Invoice.of_company(company_id, issued_only=True)


@dataclass
class SearchForm:
    issued_from: str = ""
    issued_to: str = ""
    amount_min: str = ""
    amount_max: str = ""
    company_id: str = ""


@dataclass
class SearchResult:
    invoices: list[Invoice]
    drafts: list[Invoice]
    truncated: bool


def search(actor: User, form: SearchForm, *, now: datetime | None = None) -> SearchResult:
    """Issued invoices by 発行日 range (one key condition), then by 合計 range and 取引先; the
    search keys 電子帳簿保存法 asks for. Invalid with each field's message."""
    permissions.authorize(actor, permissions.INVOICE_MANAGE, agency_target=True)
    errors: dict[str, str] = {}
    first = v.iso_date(errors, "issued_from", form.issued_from)
    last = v.iso_date(errors, "issued_to", form.issued_to)
    if first and last and last < first:
        errors["issued_to"] = t("invoice.range_order")
    low = _search_amount(errors, "amount_min", form.amount_min)
    high = _search_amount(errors, "amount_max", form.amount_max)
    if low is not None and high is not None and high < low:
        errors["amount_max"] = t("invoice.range_order")
    if form.company_id and not is_id(form.company_id):
        errors["company_id"] = t("billing.choose")
    if errors:
        raise Invalid(errors)
    found = Invoice.issued_between(first.isoformat() if first else "0000-00-00",
                                   last.isoformat() if last else "9999-99-99", limit=LIST_LIMIT + 1)
    truncated = len(found) > LIST_LIMIT
    invoices = [invoice for invoice in found[:LIST_LIMIT]
                if (low is None or int(invoice.total) >= low) and (high is None or int(invoice.total) <= high)
                and (not form.company_id or invoice.company_id == form.company_id)]
    drafts = [invoice for invoice in Invoice.drafts()
              if not form.company_id or invoice.company_id == form.company_id]
    return SearchResult(invoices=invoices, drafts=drafts, truncated=truncated)


def _search_amount(errors: dict, name: str, raw: str) -> int | None:
    if not (raw or "").strip():
        return None
    amount = r.parse_amount(raw)
    if amount is None:
        errors[name] = t("invoice.amount")
    return amount


def number_text(invoice: Invoice) -> str:
    return f"{int(invoice.number):06d}" if invoice.number is not None else ""


def invoices_csv(invoices: list[Invoice]) -> bytes:
    rows = [[number_text(i), i.issued_on or "", i.month, i.recipient, int(i.subtotal), int(i.tax), int(i.total),
             INVOICE_STATE_LABELS[i.state], i.cancel_reason or ""] for i in invoices]
    return r.csv_bytes(INVOICE_CSV_HEADER, rows)


# ---- The PDF ---------------------------------------------------------------------------------

def yen(amount: int) -> str:
    return f"{int(amount):,}円"


def document(invoice: Invoice) -> list:
    """What the PDF says, as blocks: every item a qualified invoice needs (issuer and its
    registration number, 取引年月, each line, the total and tax per rate with the rate, the
    recipient)."""
    issuer = [pdf.Text(invoice.issuer_name or "", 11),
              pdf.Text(t("invoice.pdf_registration", number=invoice.registration_number or ""), 9),
              pdf.Text(invoice.issuer_address or "", 9)]
    if invoice.issuer_phone:
        issuer.append(pdf.Text(t("invoice.pdf_phone", phone=invoice.issuer_phone), 9))
    rows = [[line.description, _quantity_label(line), yen(line.unit_price), yen(line.amount), f"{int(line.tax_rate)}%"]
            for line in invoice.lines]
    footer = []
    for rate in invoice.rate_totals:
        footer.append([t("invoice.pdf_rate_subtotal", rate=int(rate.rate)), "", "", yen(rate.subtotal), ""])
        footer.append([t("invoice.pdf_rate_tax", rate=int(rate.rate)), "", "", yen(rate.tax), ""])
    footer.append([t("invoice.pdf_total"), "", "", yen(invoice.total), ""])
    blocks = [
        pdf.Heading(t("invoice.pdf_title")),
        pdf.Columns(
            left=[pdf.Text(t("invoice.pdf_recipient", name=invoice.recipient), 14), pdf.Space(3),
                  pdf.Text(t("invoice.pdf_lead"), 9), pdf.Space(2),
                  pdf.Text(t("invoice.pdf_amount_line", amount=yen(invoice.total)), 14), pdf.Space(2),
                  pdf.Fields([(t("invoice.pdf_month"), t("invoice.month_label", month=r.month_label(invoice.month))),
                              (t("invoice.pdf_due"), _date_label(invoice.due_on))], label_width=0.35)],
            right=[pdf.Fields([(t("invoice.pdf_number"), number_text(invoice)),
                               (t("invoice.pdf_issued"), _date_label(invoice.issued_on))], label_width=0.35),
                   pdf.Space(3), *issuer]),
        pdf.Space(6),
        pdf.Table([t("invoice.pdf_col_description"), t("invoice.pdf_col_quantity"), t("invoice.pdf_col_price"),
                   t("invoice.pdf_col_amount"), t("invoice.pdf_col_rate")],
                  rows, [0.46, 0.12, 0.15, 0.17, 0.10], right={1, 2, 3, 4}, footer=footer),
        pdf.Heading(t("invoice.pdf_bank"), 2), pdf.Text(invoice.bank_account or ""),
    ]
    if invoice.note:
        blocks += [pdf.Heading(t("invoice.pdf_note"), 2), pdf.Text(invoice.note)]
    return blocks


def _quantity_label(line: InvoiceLine) -> str:
    quantity = Decimal(line.quantity)
    text = f"{quantity:,.0f}" if quantity == quantity.to_integral_value() else f"{quantity:,.1f}"
    return f"{text} {line.unit}".strip()


def _date_label(iso: str | None) -> str:
    """A date on the PDF as on every page and mail (2026/12/01)."""
    return templating.format_date(iso) if iso else ""


def render_pdf(invoice: Invoice) -> bytes:
    return pdf.render(document(invoice), title=t("invoice.pdf_file_title", number=number_text(invoice)),
                      author=invoice.issuer_name or "", subject=invoice.recipient,
                      footer=t("invoice.pdf_footer", issuer=invoice.issuer_name or "", number=number_text(invoice)))


def store_pdf(invoice: Invoice) -> None:
    """Write the issued invoice's PDF to S3 unless it is there already (never rewritten)."""
    if invoice.state == DRAFT or not invoice.pdf_key:
        raise NotFound()
    if s3.size_of(invoice.pdf_key) is None:
        s3.put_once(invoice.pdf_key, render_pdf(invoice), content_type=PDF_TYPE)


def pdf_filename(invoice: Invoice) -> str:
    return t("invoice.pdf_filename", number=number_text(invoice), recipient=invoice.recipient)


def pdf_link(actor: User, invoice_id: str) -> str:
    """A short-lived download link of the invoice's stored PDF (written now if 発行 could not)."""
    invoice = invoice_for(actor, invoice_id)
    if invoice.state == DRAFT:
        raise NotFound()
    store_pdf(invoice)
    link = s3.presigned_get(invoice.pdf_key, filename=pdf_filename(invoice), content_type=PDF_TYPE)
    audit.record("invoice_downloaded", actor=actor, target=f"invoice:{invoice.invoice_id}",
                 target_name=pdf_filename(invoice), company_id=invoice.company_id)
    return link
