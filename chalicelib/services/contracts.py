"""Contracts (契約): what a company's monthly fee buys, one version per save.

Saving makes a new version (the earlier ones stay as 契約履歴) and copies its terms onto the
company's balance item in the same transaction, so the overview of every company, which reads
balances only, never shows terms other than the contract's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.clock import utcnow
from chalicelib.errors import Invalid
from chalicelib.messages import KIND_LABELS, t  # noqa: F401  (contracts.KIND_LABELS: the pages' labels)
from chalicelib.models.base import transact
from chalicelib.models.points import Balance, Contract
from chalicelib.models.users import User
from chalicelib.services import audit, ledger, permissions
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v

NOTE_MAX = 500
UNIT_PRICE_MAX = 10_000_000
MONTHLY_FEE_MAX = 100_000_000


@dataclass
class ContractForm:
    kind: str = r.PREPAID_MONTHLY
    points: str = ""
    carry_over: bool = False
    unit_price: str = ""
    monthly_fee: str = ""
    approval_required: bool = False
    starts_on: str = ""
    ends_on: str = ""
    note: str = ""


def _contract_values(form: ContractForm) -> dict:
    errors: dict[str, str] = {}
    if form.kind not in r.KINDS:
        errors["kind"] = t("contract.kind")
    points_tenths, unit_price = 0, 0
    if form.kind in r.PREPAID:
        points = v.points(errors, "points", form.points)
        points_tenths = r.to_tenths(points) if points is not None else 0
    price = (form.unit_price or "").strip()
    # Only postpaid contracts use a unit price, but one typed for another kind is still checked,
    # so a mistake there is shown rather than dropped.
    if form.kind == r.POSTPAID or price:
        amount = v.amount(price)
        if amount is None or not 0 < amount <= UNIT_PRICE_MAX:
            errors["unit_price"] = t("contract.unit_price")
        elif form.kind == r.POSTPAID:
            unit_price = amount
    monthly_fee = 0
    if (form.monthly_fee or "").strip():
        fee = v.amount(form.monthly_fee)
        if fee is None or not 0 <= fee <= MONTHLY_FEE_MAX:
            errors["monthly_fee"] = t("contract.monthly_fee")
        else:
            monthly_fee = fee
    starts_on = v.iso_date(errors, "starts_on", form.starts_on, required=True)
    ends_on = v.iso_date(errors, "ends_on", form.ends_on, required=form.kind == r.PREPAID_TERM)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = t("contract.ends_before")
    note = v.text(errors, "note", form.note, maximum=NOTE_MAX, required=False, markup="points.markup")
    if errors:
        raise Invalid(errors)
    return dict(contract_type=form.kind, points_tenths=points_tenths, unit_price=unit_price, monthly_fee=monthly_fee,
                carry_over=bool(form.carry_over) and form.kind in r.PREPAID,
                approval_required=bool(form.approval_required), starts_on=starts_on.isoformat(),
                ends_on=ends_on.isoformat() if ends_on else None, note=note)


def save_contract(actor: User, company_id: str, form: ContractForm, *, now: datetime | None = None) -> Contract:
    """A new version of the company's contract (the earlier ones stay as its history); what it
    makes due today (the first grant) is made at once.

    The contract and the balance's copy of its terms are one transaction: the overview of every
    company reads balances only (one batch), so they must never disagree.
    """
    company = ledger.company_for(actor, company_id, permissions.CONTRACT_EDIT)
    now = now or utcnow()
    before = Contract.current(company_id)  # for the audit log's old -> new
    contract = Contract.new(company_id=company_id, **_contract_values(form), author_id=actor.user_id,
                            author_name=actor.name, created_at=now)
    terms = [Balance.company_id.set(company_id), Balance.contract_kind.set(contract.contract_type),
             Balance.contract_text.set(describe(contract)),
             Balance.contract_points_tenths.set(int(contract.points_tenths)),
             Balance.contract_carry_over.set(contract.carry_over), Balance.contract_starts_on.set(contract.starts_on),
             Balance.contract_unit_price.set(int(contract.unit_price or 0)),
             Balance.contract_ends_on.set(contract.ends_on) if contract.ends_on else Balance.contract_ends_on.remove()]

    def write(tx):
        tx.save(contract, condition=Contract.pk.does_not_exist(), label="contract")
        # No condition on the balance: its terms are not what postings are conditioned on (its version is).
        tx.update(Balance(*Balance.keys(company_id)), terms, label="balance_terms")

    transact(write)
    old, new = describe(before), describe(contract)
    changes = {"contract": {"old": old if before else "", "new": new}}
    if (before.note if before else "") != contract.note:
        changes["note"] = {"old": before.note if before else "", "new": contract.note}
    # Not in describe(): that line is shown to every client user, the fee only to the agency and,
    # on 請求書, to client admins.
    fee_before = int(before.monthly_fee or 0) if before else 0
    if fee_before != int(contract.monthly_fee or 0):
        changes["monthly_fee"] = {"old": f"{fee_before:,}円" if before else "", "new": f"{int(contract.monthly_fee):,}円"}
    audit.record("contract_changed", actor=actor, target=f"company:{company_id}", target_name=company.name,
                 company_id=company_id, changes=changes, at=now)
    ledger.settle(company_id, now=now, contract=contract)
    return contract


def from_copy(balance: Balance) -> Contract | None:
    """The current contract as the balance's copy of its terms has it, without a read (None: the
    company has none). Only what summaries need is copied (not 見積承認が必要 nor the note): the copy
    is for showing the contract, the contract page and the status checks read ``Contract.current``.
    A postpaid copy made before the unit price was copied reads the contract."""
    if not balance.contract_kind or not balance.contract_starts_on:
        return None
    if balance.contract_kind == r.POSTPAID and balance.contract_unit_price is None:
        return Contract.current(balance.company_id)
    return Contract(*Contract.keys(balance.company_id, "COPY"), company_id=balance.company_id, version_id="",
                    contract_type=balance.contract_kind, points_tenths=int(balance.contract_points_tenths or 0),
                    carry_over=bool(balance.contract_carry_over), unit_price=int(balance.contract_unit_price or 0),
                    starts_on=balance.contract_starts_on, ends_on=balance.contract_ends_on)


def describe(contract: Contract | None) -> str:
    """The contract in one line, for people."""
    if contract is None:
        return t("contract.none")
    parts = [KIND_LABELS[contract.contract_type]]
    if contract.contract_type == r.PREPAID_MONTHLY:
        parts.append(t("contract.monthly_points", points=r.format_points(contract.points_tenths)))
    elif contract.contract_type == r.PREPAID_TERM:
        parts.append(t("contract.term_points", points=r.format_points(contract.points_tenths)))
    elif contract.contract_type == r.POSTPAID:
        parts.append(t("contract.unit_price_text", price=f"{int(contract.unit_price):,}"))
    if contract.contract_type in r.PREPAID:
        parts.append(t("contract.carry_over" if contract.carry_over else "contract.no_carry_over"))
    if contract.approval_required:
        parts.append(t("contract.approval_required"))
    return t("contract.separator").join(parts)


def contract_history(actor: User, company_id: str) -> list[Contract]:
    permissions.authorize(actor, permissions.CONTRACT_VIEW, company_id=company_id)
    return Contract.history(company_id)
