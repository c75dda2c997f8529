"""Balances and the ledger (ポイント履歴): postings, lazy grants and expiries, チャージ and 調整, and
the charge at 完了 that update_request writes with the status change.

The balance changes only together with a ledger entry, in one transaction conditioned on the
balance's version (read, compute the entry and the new balance, write both only if nobody wrote in
between; else read again). So the balance always equals the sum of the ledger and every entry
carries the balance after it. Corrections are new entries (調整), never edits.

Monthly grants and expiries are made lazily and idempotently: whoever reads or writes a company's
balance first makes what the contract has made due (``pointrules.due_postings``); the keys of what
was made are kept on the balance item, under the same condition, so two readers never grant a
month twice. Lazy rather than a schedule because it needs no list of every company (no scan), is
always up to date the moment anyone looks, and works the same locally and in AWS.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from chalicelib.clock import today_in_japan, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.messages import ENTRY_LABELS, t  # noqa: F401  (ledger.ENTRY_LABELS: the pages' labels)
from chalicelib.models.base import TransactionFailed, transact
from chalicelib.models.companies import Company
from chalicelib.models.ids import is_id
from chalicelib.models.points import (PENDING, RECENT_ENTRIES, RETURNED, Balance, ChargeMark, Contract, Estimate,
                                      LedgerEntry, RecentEntry)
from chalicelib.models.requests import Request
from chalicelib.models.users import User
from chalicelib.services import audit, permissions, workflow
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v

NOTE_MAX = 500
TOPUP_PRICE_MAX = 100_000_000
POST_ATTEMPTS = 60  # balance writes retried when another write came first


# Postings are dated, and months counted, by the day in Japan (clock.today_in_japan).
today_jst = today_in_japan


def company_for(actor: User, company_id: str, action: str) -> Company:
    """The company ``action`` is asked on, once the actor may do it there (NotFound otherwise)."""
    permissions.authorize(actor, action, company_id=company_id)
    company = Company.find(company_id) if is_id(company_id) else None
    if company is None:
        raise NotFound()
    return company


def terms_of(contract: Contract | None) -> r.Terms | None:
    if contract is None:
        return None
    return r.Terms(kind=contract.contract_type, points_tenths=int(contract.points_tenths), carry_over=contract.carry_over,
                   starts_on=date.fromisoformat(contract.starts_on),
                   ends_on=date.fromisoformat(contract.ends_on) if contract.ends_on else None)


def terms_on(balance: Balance) -> r.Terms | None:
    """The current contract's terms as copied onto the balance item."""
    if not balance.contract_kind or not balance.contract_starts_on:
        return None
    return r.Terms(kind=balance.contract_kind, points_tenths=int(balance.contract_points_tenths or 0),
                   carry_over=bool(balance.contract_carry_over), starts_on=date.fromisoformat(balance.contract_starts_on),
                   ends_on=date.fromisoformat(balance.contract_ends_on) if balance.contract_ends_on else None)


class BalanceMoved(Exception):
    """Another write changed the balance (or charged the request) first: read again and retry."""


@dataclass
class Posted:
    entry: LedgerEntry | None
    balance: Balance


def _counts_as_usage(kind: str, balance: Balance) -> bool:
    """Charges are the month's usage; under a postpaid contract a correction (調整) is too, since
    the usage is what is billed."""
    return kind == r.CHARGE or (kind == r.ADJUSTMENT and balance.contract_kind == r.POSTPAID)


def _balance_write(tx, balance: Balance, delta: int, *, month: str, charge: bool, posting_key: str | None,
                   entry: LedgerEntry | None) -> None:
    """The balance's new value, conditioned on the version that was read (label ``balance``), with
    ``entry`` at the head of its copy of the newest entries. ``charge``: the delta also counts as
    the month's usage."""
    actions = [Balance.tenths.set(int(balance.tenths) + delta), Balance.version.set(int(balance.version) + 1),
               Balance.company_id.set(balance.company_id)]
    if entry is not None:
        earlier = balance.recent_entries()
        if earlier is None:  # a balance from before the copy: start it from the ledger (once)
            earlier = [RecentEntry.of(e) for e in LedgerEntry.latest(balance.company_id, limit=RECENT_ENTRIES)]
        actions.append(Balance.recent.set([RecentEntry.of(entry)] + earlier[:RECENT_ENTRIES - 1]))
    if posting_key:
        actions.append(Balance.posted.add({posting_key}))
    if charge:
        same = getattr(balance, "usage_month", None) == month
        used = (int(balance.usage_tenths or 0) if same else 0) - delta
        actions += [Balance.usage_month.set(month), Balance.usage_tenths.set(used)]
    condition = (Balance.version == int(balance.version)) if int(balance.version) else Balance.version.does_not_exist()
    tx.update(balance, actions, condition=condition, label="balance")


def _post(company_id: str, *, kind: str, tenths: int | None, month: str, note: str = "", actor_name: str = "",
          request: Request | None = None, posting_key: str | None = None, price_yen: int | None = None,
          now: datetime) -> Posted:
    """Append one ledger entry and move the balance by it, atomically. ``tenths`` None: the whole
    positive remainder (an expiry). Retries when another write came first."""
    for attempt in range(POST_ATTEMPTS):
        balance = Balance.load(company_id)
        if posting_key and posting_key in (balance.posted or set()):
            return Posted(None, balance)  # made meanwhile by someone else
        delta = tenths if tenths is not None else -max(int(balance.tenths), 0)
        entry = None
        if delta or tenths is not None:
            entry = LedgerEntry.new(company_id=company_id, month=month, entry_kind=kind, delta_tenths=delta,
                                    balance_after_tenths=int(balance.tenths) + delta,
                                    balance_version=int(balance.version) + 1, note=note,
                                    actor_name=actor_name, price_yen=price_yen, at=now, **_request_fields(request))

        def write(tx):
            if entry is not None:
                tx.save(entry, label="entry")
            _balance_write(tx, balance, delta, month=month, charge=_counts_as_usage(kind, balance),
                           posting_key=posting_key, entry=entry)

        try:
            transact(write)
        except TransactionFailed as error:
            if error.failed("balance"):
                time.sleep(random.uniform(0, 0.005 * min(attempt + 1, 10)))
                continue
            raise
        return Posted(entry, Balance.load(company_id))
    raise Conflict("balance kept changing")


def _request_fields(request: Request | None) -> dict:
    if request is None:
        return {}
    return dict(request_id=request.request_id, request_number=int(request.number), request_title=request.title)


UNREAD = object()  # settle's contract when the caller has not read it (None: it read that there is none)


def settle(company_id: str, *, now: datetime | None = None, contract=UNREAD,
           balance: Balance | None = None) -> Balance:
    """Make the grants and expiries the current contract has made due (each once). Costs nothing
    beyond the reads when nothing is due, and no read of what the caller passes (``contract``
    None: the company has none)."""
    now = now or utcnow()
    contract = Contract.current(company_id) if contract is UNREAD else contract
    balance = balance or Balance.load(company_id)
    for posting in r.due_postings(terms_of(contract), posted=set(balance.posted or set()), today=today_jst(now)):
        if posting.kind == r.GRANT:
            note = (t("ledger.grant_term") if posting.key.startswith("GRANT#TERM#")
                    else t("ledger.grant_month", month=r.month_label(posting.month)))
        else:
            note = t("ledger.expiry", month=r.month_label(posting.month))
        balance = _post(company_id, kind=posting.kind, tenths=posting.tenths, month=posting.month, note=note,
                        actor_name=t("ledger.automatic"), posting_key=posting.key, now=now).balance
    return balance


def ledger(actor: User, company_id: str, *, limit: int = 20) -> list[LedgerEntry]:
    """The newest entries of the ポイント履歴 (one query)."""
    permissions.authorize(actor, permissions.POINTS_VIEW, company_id=company_id)
    return LedgerEntry.latest(company_id, limit=limit)


def top_up(actor: User, company_id: str, *, points: str, note: str, price: str = "",
           now: datetime | None = None) -> LedgerEntry:
    """チャージ: points added to the balance (e.g. bought on top of the contract), with the price
    they were sold for (yen, tax excluded) if any: a line of the month's 請求書."""
    company = company_for(actor, company_id, permissions.POINTS_TOPUP)
    errors: dict[str, str] = {}
    amount = v.points(errors, "topup_points", points)
    price_yen = None
    if (price or "").strip():
        price_yen = v.amount(price)
        if price_yen is None or not 0 < price_yen <= TOPUP_PRICE_MAX:
            errors["topup_price"] = t("points.topup_price")
    note = v.text(errors, "topup_note", note, maximum=NOTE_MAX, required=False, markup="points.markup")
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    settle(company_id, now=now)
    posted = _post(company_id, kind=r.TOPUP, tenths=r.to_tenths(amount), month=r.month_of(today_jst(now)),
                   note=note, actor_name=actor.name, price_yen=price_yen, now=now)
    _audit_posting("points_topped_up", actor, company, posted, note=note, price_yen=price_yen, now=now)
    return posted.entry


def adjust(actor: User, company_id: str, *, points: str, note: str, now: datetime | None = None) -> LedgerEntry:
    """調整: a correction, positive or negative, always with its reason; entries are never edited."""
    company = company_for(actor, company_id, permissions.POINTS_TOPUP)
    errors: dict[str, str] = {}
    amount = v.points(errors, "adjust_points", points, allow_negative=True)
    note = v.text(errors, "adjust_note", note, maximum=NOTE_MAX, markup="points.markup")
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    settle(company_id, now=now)
    posted = _post(company_id, kind=r.ADJUSTMENT, tenths=r.to_tenths(amount), month=r.month_of(today_jst(now)),
                   note=note, actor_name=actor.name, now=now)
    _audit_posting("points_adjusted", actor, company, posted, note=note, now=now)
    return posted.entry


def _audit_posting(kind: str, actor: User, company: Company, posted: Posted, *, note: str,
                   price_yen: int | None = None, now: datetime) -> None:
    """The audit entry of a チャージ or 調整: the points and the balance before -> after."""
    entry = posted.entry
    delta = int(entry.delta_tenths)
    after = int(entry.balance_after_tenths)
    changes = {"balance": {"old": f"{r.format_points(after - delta)} pt", "new": f"{r.format_points(after)} pt"},
               "points": {"old": "", "new": f"{'+' if delta > 0 else ''}{r.format_points(delta)} pt"}}
    if note:
        changes["note"] = {"old": "", "new": note}
    if price_yen is not None:
        changes["price"] = {"old": "", "new": f"{price_yen:,}円"}
    audit.record(kind, actor=actor, target=f"company:{company.company_id}", target_name=company.name,
                 company_id=company.company_id, changes=changes, at=now)


# The charge at 完了, asked by update_request when the status changes.

WORK_STATUSES = (workflow.IN_PROGRESS, workflow.WAITING, workflow.DONE)


def estimate_text(estimate: Estimate) -> str:
    """The estimate's total in one line, e.g. "4 pt(3 pt ×1.2)"."""
    text = f"{r.format_points(estimate.total_tenths)} pt"
    if Decimal(estimate.multiplier) != 1:
        text += f"({r.format_points(estimate.subtotal_tenths)} pt {r.format_multiplier(Decimal(estimate.multiplier))})"
    return text


@dataclass
class ChargePlan:
    """The writes that charge a request at 完了, for update_request's transaction."""

    entry: LedgerEntry
    mark: ChargeMark
    balance: Balance
    month: str
    thread_text: str

    def write(self, tx) -> None:
        """The ledger entry, the charge mark (label ``charge_mark``: absent, or the request was charged
        meanwhile) and the balance (label ``balance``: as read, or it moved meanwhile)."""
        tx.save(self.entry, label="charge_entry")
        tx.save(self.mark, condition=ChargeMark.pk.does_not_exist(), label="charge_mark")
        _balance_write(tx, self.balance, int(self.entry.delta_tenths), month=self.month, charge=True,
                       posting_key=None, entry=self.entry)

    @staticmethod
    def lost_race(error: TransactionFailed) -> bool:
        """True if the charge failed only because another write came first (read again and retry)."""
        return error.failed("balance") or error.failed("charge_mark")


@dataclass
class StatusCheck:
    error: str | None = None
    plan: ChargePlan | None = None
    estimate: Estimate | None = field(default=None)


def check_status_change(request: Request, new_status: str, *, now: datetime, side: str = workflow.AGENCY,
                        actor_name: str = "") -> StatusCheck:
    """Whether the contract lets the request move to ``new_status``, and the charge 完了 makes
    (its ledger entry names ``actor_name``).

    With 見積承認が必要 the work waits: 対応中, 確認待ち and 完了 are refused while the estimate is
    not approved. A returned estimate is never charged: 完了 waits for a revised one (without
    見積承認が必要 the work itself may go on meanwhile). Reads only
    on those transitions (the estimate, and for 完了 the contract and the balance).
    """
    if new_status not in WORK_STATUSES:
        return StatusCheck()
    estimate = Estimate.find(request.request_id)
    if estimate is None:
        return StatusCheck()
    contract = Contract.current(request.company_id)
    waits = contract is not None and contract.approval_required
    if estimate.state == RETURNED and (waits or new_status == workflow.DONE):
        return StatusCheck(error=t("estimate.returned_first"))
    if estimate.state == PENDING and waits:
        # The client confirming 完了 is the one who can approve; staff must wait for it.
        return StatusCheck(error=t("estimate.approve_first" if side == workflow.CLIENT else "estimate.approval_first"))
    if new_status != workflow.DONE or ChargeMark.find(request.request_id) is not None:
        return StatusCheck(estimate=estimate)
    balance = settle(request.company_id, now=now, contract=contract)
    month = r.month_of(today_jst(now))
    delta = -int(estimate.total_tenths)
    entry = LedgerEntry.new(company_id=request.company_id, month=month, entry_kind=r.CHARGE, delta_tenths=delta,
                            balance_after_tenths=int(balance.tenths) + delta,
                            balance_version=int(balance.version) + 1,
                            note=t("ledger.charge_note", estimate=estimate_text(estimate)),
                            actor_name=actor_name, at=now, **_request_fields(request))
    mark = ChargeMark(*ChargeMark.keys(request.request_id), request_id=request.request_id,
                      entry_id=entry.entry_id, at=now)
    text = t("ledger.charged", points=r.format_points(estimate.total_tenths))
    return StatusCheck(estimate=estimate, plan=ChargePlan(entry=entry, mark=mark, balance=balance, month=month,
                                                          thread_text=text))
