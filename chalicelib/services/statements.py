"""What both sides read of a company's points: the summary (残りポイント or the month's usage),
the monthly statement (月次明細) and its CSV, and the agency's overview of every company."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.clock import format_jst, utcnow
from chalicelib.errors import Invalid, NotFound
from chalicelib.messages import ENTRY_LABELS, STATEMENT_CSV_HEADER, t
from chalicelib.models.companies import Company
from chalicelib.models.points import RECENT_ENTRIES, Balance, Contract, LedgerEntry
from chalicelib.models.users import User
from chalicelib.services import contracts, ledger, permissions
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v
from chalicelib.services.ledger import today_jst


@dataclass
class Summary:
    """What both sides see of a company's points."""

    contract: Contract | None
    balance: Balance
    month: str
    text: str | None = None  # the contract in one line as the balance's copy has it (else described here)

    @property
    def kind(self) -> str | None:
        return self.contract.contract_type if self.contract else None

    @property
    def shows_balance(self) -> bool:
        return self.kind in r.PREPAID or self.kind is None

    @property
    def month_usage_tenths(self) -> int:
        return int(self.balance.usage_tenths or 0) if getattr(self.balance, "usage_month", None) == self.month else 0

    @property
    def month_amount(self) -> int | None:
        if self.kind != r.POSTPAID:
            return None
        return r.yen_for(self.month_usage_tenths, int(self.contract.unit_price))

    @property
    def description(self) -> str:
        if self.contract is not None and self.text:
            return self.text
        return contracts.describe(self.contract)


def summary(actor: User, company_id: str | None, *, now: datetime | None = None,
            balance: Balance | None = None, contract=ledger.UNREAD) -> Summary:
    """残りポイント (or the month's usage) and the contract of a company, settled first.

    One read, the balance, unless the caller passes it (the 管理画面 reads it in its batch): the
    contract is then the balance's copy of its terms (contracts.from_copy), enough to show it. A
    caller that needs the contract itself (the contract page's form) passes it too."""
    if company_id is None:
        raise NotFound()
    permissions.authorize(actor, permissions.POINTS_VIEW, company_id=company_id)
    now = now or utcnow()
    month = r.month_of(today_jst(now))
    balance = balance or Balance.load(company_id)
    copied = contract is ledger.UNREAD
    if copied:
        contract = contracts.from_copy(balance)
    settled = ledger.settle(company_id, now=now, contract=contract, balance=balance)
    return Summary(contract=contract, balance=settled, month=month,
                   text=(settled.contract_text or None) if copied else None)


def recent_entries(actor: User, summary_: Summary) -> list:
    """The newest ledger entries (最近の動き) of a summary's company: the balance's copy, or one
    query for a balance written before it carried one."""
    permissions.authorize(actor, permissions.POINTS_VIEW, company_id=summary_.balance.company_id)
    kept = summary_.balance.recent_entries()
    return kept if kept is not None else LedgerEntry.latest(summary_.balance.company_id, limit=RECENT_ENTRIES)


@dataclass
class Statement:
    company: Company
    month: str
    entries: list[LedgerEntry]
    contract: Contract | None
    totals: dict[str, int]
    opening_tenths: int
    closing_tenths: int

    @property
    def postpaid(self) -> bool:
        return self.contract is not None and self.contract.contract_type == r.POSTPAID

    @property
    def usage_tenths(self) -> int:
        """The month's usage: its charges, and under a postpaid contract its corrections."""
        adjusted = self.totals.get(r.ADJUSTMENT, 0) if self.postpaid else 0
        return -(self.totals.get(r.CHARGE, 0) + adjusted)

    @property
    def amount(self) -> int | None:
        if not self.postpaid:
            return None
        return r.yen_for(self.usage_tenths, int(self.contract.unit_price))


def statement(actor: User, company_id: str | None, month: str, *, now: datetime | None = None) -> Statement:
    """A company's ledger for one month (one query) with its totals; Invalid for a bad month."""
    if company_id is None:
        raise NotFound()
    company = ledger.company_for(actor, company_id, permissions.POINTS_VIEW)
    errors: dict[str, str] = {}
    if v.month(errors, "month", month) is None:
        raise Invalid(errors)
    if month > r.month_of(today_jst(now)):
        # Nothing is posted ahead of its month: a future month would read as an empty statement.
        raise Invalid({"month": t("statement.future")})
    contract = Contract.current(company_id)
    ledger.settle(company_id, now=now, contract=contract)
    oldest_first = LedgerEntry.of_month(company_id, month)
    totals: dict[str, int] = {}
    for entry in oldest_first:
        totals[entry.entry_kind] = totals.get(entry.entry_kind, 0) + int(entry.delta_tenths)
    opening = int(oldest_first[0].balance_after_tenths) - int(oldest_first[0].delta_tenths) if oldest_first else None
    closing = int(oldest_first[-1].balance_after_tenths) if oldest_first else None
    # Listed newest first, in the order of the ポイント履歴 (LedgerEntry.latest), on screen and in CSV.
    entries = oldest_first[::-1]
    if opening is None:
        # No entries this month: the balance did not move; the latest earlier entry tells it.
        earlier = LedgerEntry.last_before(company_id, month)
        opening = closing = int(earlier.balance_after_tenths) if earlier else 0
    return Statement(company=company, month=month, entries=entries, contract=contract, totals=totals,
                     opening_tenths=opening, closing_tenths=closing)


def statement_csv(view: Statement) -> bytes:
    """The statement as CSV: the entries as the screen lists them, points as it writes them."""
    rows = [[format_jst(e.at), ENTRY_LABELS[e.entry_kind], f"#{int(e.request_number)}" if e.request_number else "",
             e.request_title or "", r.readable_note(e.note), r.csv_points(e.delta_tenths),
             r.csv_points(e.balance_after_tenths)]
            for e in view.entries]
    rows.append([t("statement.total"), t("statement.usage"), "", "", "", r.csv_points(view.usage_tenths), ""])
    if view.amount is not None:
        rows.append([t("statement.amount"), "", "", "", t("statement.unit_price", price=int(view.contract.unit_price)),
                     view.amount, ""])
    return r.csv_bytes(STATEMENT_CSV_HEADER, rows)


def statement_filename(view: Statement) -> str:
    return t("statement.filename", company=view.company.name, month=view.month)


@dataclass
class UsageRow:
    company: Company
    balance: Balance
    month: str

    @property
    def usage_tenths(self) -> int:
        return int(self.balance.usage_tenths or 0) if getattr(self.balance, "usage_month", None) == self.month else 0


def usage_overview(actor: User, *, now: datetime | None = None, limit: int = 200) -> list[UsageRow]:
    """Every company's balance and this month's usage: one query and one batch read, plus the
    settlement of a company whose contract made a grant or expiry due since anyone looked."""
    permissions.authorize(actor, permissions.POINTS_OVERVIEW, agency_target=True)
    month = r.month_of(today_jst(now))
    companies, _ = Company.page(limit=limit)
    stored = {b.company_id: b for b in Balance.batch_get([Balance.keys(c.company_id) for c in companies])} \
        if companies else {}
    rows = []
    for company in companies:
        balance = stored.get(company.company_id) or Balance(*Balance.keys(company.company_id),
                                                            company_id=company.company_id)
        if r.due_postings(ledger.terms_on(balance), posted=set(balance.posted or set()), today=today_jst(now)):
            # A month began since anyone looked: make its grant now (once a month per company).
            balance = ledger.settle(company.company_id, now=now)
        rows.append(UsageRow(company=company, balance=balance, month=month))
    return rows
