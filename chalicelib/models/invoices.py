"""請求書 (qualified invoices) and the agency's billing settings.

- BillingSettings: one item, ``AGENCY`` / ``BILLING``, what every invoice says of its issuer.
- Invoice: its own partition, ``INVOICE#<id>``, so the page is one get. Listed for the agency
  through GSI1 (``INVOICES``) and for its company through GSI2 (``INVOICES#<company>``), both
  sorted by ``DRAFT#<created>`` for drafts and ``ISSUED#<issued_on>#<number>`` once issued, so a
  date range of issued invoices is one key condition.
- InvoiceCounter: the last 請求書番号 handed out. It moves only in the transaction that issues an
  invoice, conditioned on the number it had, so numbers are unique and leave no gap.

An issued invoice carries a copy of everything it says (issuer, recipient, lines, totals) and
is never changed again but for 取消; its PDF is written once to S3 under ``pdf_key``.
"""
from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.models.base import Item
from chalicelib.models.ids import new_id

DRAFT, ISSUED, CANCELLED = "draft", "issued", "cancelled"
_ALL = "INVOICES"


class BillingSettings(Item, discriminator="BillingSettings"):
    issuer_name = UnicodeAttribute(default="")          # 発行事業者名
    registration_number = UnicodeAttribute(default="")  # 適格請求書発行事業者登録番号, "T" + 13 digits
    address = UnicodeAttribute(default="")
    phone = UnicodeAttribute(default="")
    bank_account = UnicodeAttribute(default="")          # 振込先, several lines
    payment_terms = UnicodeAttribute(default="next_month_end")  # services.invoices.PAYMENT_TERMS
    tax_rounding = UnicodeAttribute(default="floor")     # services.tax.ROUNDINGS
    version = NumberAttribute(null=True)                 # None: never saved; +1 per save (its condition)

    KEYS = ("AGENCY", "BILLING")

    @property
    def complete(self) -> bool:
        return self.version is not None and all(
            (value or "").strip() for value in (self.issuer_name, self.registration_number, self.address))

    @classmethod
    def load(cls) -> "BillingSettings":
        try:
            return cls.get(*cls.KEYS, consistent_read=True)
        except cls.DoesNotExist:
            return cls(*cls.KEYS)


class InvoiceLine(MapAttribute):
    description = UnicodeAttribute()
    quantity = UnicodeAttribute(default="1")   # Decimal as text ("12.5")
    unit = UnicodeAttribute(default="")        # 式, pt, 件
    unit_price = NumberAttribute()             # yen, tax excluded; negative for a discount
    amount = NumberAttribute()                 # yen, tax excluded (services.tax.line_amount)
    tax_rate = NumberAttribute(default=10)     # percent: the rate per line, so a reduced rate needs no migration


class RateTotal(MapAttribute):
    rate = NumberAttribute()
    subtotal = NumberAttribute()
    tax = NumberAttribute()


class Invoice(Item, discriminator="Invoice"):
    invoice_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    recipient = UnicodeAttribute()             # the company's name, as of the draft (as of 発行 once issued)
    month = UnicodeAttribute()                 # 取引年月, YYYY-MM
    state = UnicodeAttribute(default=DRAFT)
    lines = ListAttribute(of=InvoiceLine, default=list)
    due_on = UnicodeAttribute(default="")      # 支払期限, ISO date
    note = UnicodeAttribute(default="")        # 備考
    subtotal = NumberAttribute(default=0)
    tax = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    rate_totals = ListAttribute(of=RateTotal, default=list)
    revision = NumberAttribute(default=0)      # +1 per save: the condition of the next one
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(default="")
    # Set by 発行, then never changed.
    number = NumberAttribute(null=True)
    issued_on = UnicodeAttribute(null=True)    # 発行日, ISO date in Japan
    issued_at = UTCDateTimeAttribute(null=True)
    issued_by = UnicodeAttribute(null=True)
    issuer_name = UnicodeAttribute(null=True)
    registration_number = UnicodeAttribute(null=True)
    issuer_address = UnicodeAttribute(null=True)
    issuer_phone = UnicodeAttribute(null=True)
    bank_account = UnicodeAttribute(null=True)
    tax_rounding = UnicodeAttribute(null=True)
    pdf_key = UnicodeAttribute(null=True)
    # Set by 取消.
    cancelled_at = UTCDateTimeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)

    @staticmethod
    def keys(invoice_id: str) -> tuple[str, str]:
        return f"INVOICE#{invoice_id}", "INVOICE"

    @staticmethod
    def _company_list(company_id: str) -> str:
        return f"{_ALL}#{company_id}"

    @classmethod
    def new_draft(cls, *, company_id: str, created_at, **attributes) -> "Invoice":
        invoice_id = new_id()
        listed = f"DRAFT#{created_at.isoformat()}#{invoice_id}"
        return cls(*cls.keys(invoice_id), invoice_id=invoice_id, company_id=company_id, created_at=created_at,
                   gsi1pk=_ALL, gsi1sk=listed, gsi2pk=cls._company_list(company_id), gsi2sk=listed, **attributes)

    @staticmethod
    def issued_sort_key(issued_on: str, number: int) -> str:
        return f"ISSUED#{issued_on}#{number:08d}"

    @classmethod
    def drafts(cls, *, limit: int = 100) -> list["Invoice"]:
        return list(cls.gsi1.query(_ALL, cls.gsi1sk.startswith("DRAFT#"), scan_index_forward=False, limit=limit))

    @classmethod
    def issued_between(cls, first_day: str, last_day: str, *, limit: int) -> list["Invoice"]:
        """Issued (and cancelled) invoices by 発行日, newest first: one key condition."""
        return list(cls.gsi1.query(_ALL, cls.gsi1sk.between(f"ISSUED#{first_day}", f"ISSUED#{last_day}#~"),
                                   scan_index_forward=False, limit=limit))

    @classmethod
    def of_company(cls, company_id: str, *, issued_only: bool, limit: int = 200) -> list["Invoice"]:
        condition = cls.gsi2sk.startswith("ISSUED#") if issued_only else None
        return list(cls.gsi2.query(cls._company_list(company_id), condition, scan_index_forward=False, limit=limit))


class InvoiceCounter(Item, discriminator="InvoiceCounter"):
    last_number = NumberAttribute(default=0)

    KEYS = ("AGENCY", "INVOICE_COUNTER")

    @classmethod
    def current(cls) -> int:
        try:
            return int(cls.get(*cls.KEYS, consistent_read=True).last_number)
        except cls.DoesNotExist:
            return 0
