"""Maintenance contracts and points: the ポイント表, contracts, balances and the ledger, estimates,
their 承認 / 差し戻し, the charge at 完了 and the monthly statement.

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
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from pynamodb.exceptions import TransactWriteError

from chalicelib.messages import t
from chalicelib.models.base import condition_failed, transact
from chalicelib.models.companies import Company
from chalicelib.models.ids import is_id
from chalicelib.models.points import (
    APPROVED,
    PENDING,
    RETURNED,
    Balance,
    ChargeMark,
    Contract,
    Estimate,
    EstimateLine,
    LedgerEntry,
    MenuItem,
)
from chalicelib.models.requests import Request, ThreadEntry
from chalicelib.models.users import User
from chalicelib.services import notifications, permissions, policy, workflow
from chalicelib.services import pointrules as r
from chalicelib.services.clock import utcnow
from chalicelib.errors import Conflict, Invalid, NotFound

JST = timezone(timedelta(hours=9))
NAME_MAX = 100
CATEGORY_MAX = 50
DESCRIPTION_MAX = 500
NOTE_MAX = 500
REASON_MAX = 2000
ESTIMATE_LINES_MAX = 30
UNIT_PRICE_MAX = 10_000_000
POST_ATTEMPTS = 60  # balance writes retried when another write came first

KIND_LABELS = {r.PREPAID_MONTHLY: "前払い(月ごと)", r.PREPAID_TERM: "前払い(期間ごと)", r.POSTPAID: "後払い",
               r.UNLIMITED: "無制限"}
ENTRY_LABELS = {r.GRANT: "付与", r.TOPUP: "チャージ", r.CHARGE: "消費", r.ADJUSTMENT: "調整", r.EXPIRY: "失効"}
STATE_LABELS = {PENDING: "承認待ち", APPROVED: "承認済み", RETURNED: "差し戻し"}
# Mail events of estimates (see notifications.recipients: the agency's go to the requester and
# 依頼関係者, the client's answer to the 担当者).
ESTIMATE_EVENT, ESTIMATE_ANSWER_EVENT = "estimate", "estimate_answer"


def today_jst(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(JST).date()


def _text(errors: dict, name: str, value: str, *, maximum: int, required: bool = True) -> str:
    from chalicelib.services.requests import contains_markup

    value = value.strip()
    if required and not value:
        errors[name] = t("required")
    elif len(value) > maximum:
        errors[name] = t("too_long", max=maximum)
    elif contains_markup(value):
        errors[name] = t("points.markup")
    return value


def _points(errors: dict, name: str, raw: str, **options) -> Decimal | None:
    try:
        return r.parse_points(raw, **options)
    except r.BadNumber as bad:
        errors[name] = t(bad.key, max=r.POINTS_MAX) if bad.key == "points.too_large" else t(bad.key)
        return None


# The service menu (ポイント表).

@dataclass
class MenuForm:
    category: str = ""
    name: str = ""
    points: str = ""
    description: str = ""


@dataclass
class MenuCategory:
    name: str
    items: list[MenuItem]


def menu(actor: User, *, include_stopped: bool = False) -> list[MenuCategory]:
    """The ポイント表 by category (one query). Every signed-in account may read it; stopped items
    only the agency, which may start them again."""
    permissions.authorize(actor, permissions.POINTS_MENU_VIEW, company_id=actor.company_id)
    items = [item for item in MenuItem.all() if item.active or (include_stopped and actor.is_agency)]
    categories: dict[str, list[MenuItem]] = {}
    for item in sorted(items, key=lambda i: (i.category, i.points_tenths, i.name)):
        categories.setdefault(item.category, []).append(item)
    return [MenuCategory(name, listed) for name, listed in categories.items()]


def _menu_values(form: MenuForm) -> dict:
    errors: dict[str, str] = {}
    values = dict(category=_text(errors, "category", form.category, maximum=CATEGORY_MAX),
                  name=_text(errors, "name", form.name, maximum=NAME_MAX),
                  description=_text(errors, "description", form.description, maximum=DESCRIPTION_MAX,
                                    required=False))
    points = _points(errors, "points", form.points)
    if errors:
        raise Invalid(errors)
    return values | {"points_tenths": r.to_tenths(points)}


def add_menu_item(actor: User, form: MenuForm, *, now: datetime | None = None) -> MenuItem:
    permissions.authorize(actor, permissions.POINTS_MENU_EDIT, agency_target=True)
    item = MenuItem.new(**_menu_values(form), active=True, updated_at=now or utcnow())
    item.save(condition=MenuItem.pk.does_not_exist())
    return item


def find_menu_item(actor: User, item_id: str) -> MenuItem:
    permissions.authorize(actor, permissions.POINTS_MENU_EDIT, agency_target=True)
    item = MenuItem.find(item_id) if is_id(item_id) else None
    if item is None:
        raise NotFound()
    return item


def update_menu_item(actor: User, item_id: str, form: MenuForm, *, active: bool,
                     now: datetime | None = None) -> MenuItem:
    """Change an item; estimates already made keep the name and points they were made with."""
    item = find_menu_item(actor, item_id)
    values = _menu_values(form)
    item.update(actions=[getattr(MenuItem, name).set(value) for name, value in values.items()]
                + [MenuItem.active.set(active), MenuItem.updated_at.set(now or utcnow())],
                condition=MenuItem.pk.exists())
    return item


# Contracts (契約).

@dataclass
class ContractForm:
    kind: str = r.PREPAID_MONTHLY
    points: str = ""
    carry_over: bool = False
    unit_price: str = ""
    approval_required: bool = False
    starts_on: str = ""
    ends_on: str = ""
    note: str = ""


def _date(errors: dict, name: str, raw: str, *, required: bool) -> date | None:
    text = unicodedata.normalize("NFKC", raw or "").strip().replace("/", "-")
    if not text:
        if required:
            errors[name] = t("required")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = t("request.due_invalid")
        return None


def _contract_values(form: ContractForm) -> dict:
    errors: dict[str, str] = {}
    if form.kind not in r.KINDS:
        errors["kind"] = t("contract.kind")
    points_tenths, unit_price = 0, 0
    if form.kind in r.PREPAID:
        points = _points(errors, "points", form.points)
        points_tenths = r.to_tenths(points) if points is not None else 0
    price = unicodedata.normalize("NFKC", form.unit_price or "").strip().replace(",", "")
    # Only postpaid contracts use a unit price, but one typed for another kind is still checked,
    # so a mistake there is shown rather than dropped.
    if form.kind == r.POSTPAID or price:
        if not price.isdigit() or not 0 < int(price) <= UNIT_PRICE_MAX:
            errors["unit_price"] = t("contract.unit_price")
        elif form.kind == r.POSTPAID:
            unit_price = int(price)
    starts_on = _date(errors, "starts_on", form.starts_on, required=True)
    ends_on = _date(errors, "ends_on", form.ends_on, required=form.kind == r.PREPAID_TERM)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = t("contract.ends_before")
    note = _text(errors, "note", form.note, maximum=NOTE_MAX, required=False)
    if errors:
        raise Invalid(errors)
    return dict(contract_type=form.kind, points_tenths=points_tenths, unit_price=unit_price,
                carry_over=bool(form.carry_over) and form.kind in r.PREPAID,
                approval_required=bool(form.approval_required), starts_on=starts_on.isoformat(),
                ends_on=ends_on.isoformat() if ends_on else None, note=note)


def _company(actor: User, company_id: str, action: str) -> Company:
    permissions.authorize(actor, action, company_id=company_id)
    company = Company.find(company_id) if is_id(company_id) else None
    if company is None:
        raise NotFound()
    return company


def save_contract(actor: User, company_id: str, form: ContractForm, *, now: datetime | None = None) -> Contract:
    """A new version of the company's contract (the earlier ones stay as its history); what it
    makes due today (the first grant) is made at once."""
    _company(actor, company_id, permissions.CONTRACT_EDIT)
    now = now or utcnow()
    contract = Contract.new(company_id=company_id, **_contract_values(form), author_id=actor.user_id,
                            author_name=actor.name, created_at=now)
    contract.save(condition=Contract.pk.does_not_exist())
    # The overview of every company reads balances only (one batch): they carry the contract's line.
    Balance(*Balance.keys(company_id)).update(actions=[
        Balance.company_id.set(company_id), Balance.contract_kind.set(contract.contract_type),
        Balance.contract_text.set(describe(contract)), Balance.contract_points_tenths.set(int(contract.points_tenths)),
        Balance.contract_carry_over.set(contract.carry_over), Balance.contract_starts_on.set(contract.starts_on),
        Balance.contract_ends_on.set(contract.ends_on) if contract.ends_on else Balance.contract_ends_on.remove()])
    settle(company_id, now=now, contract=contract)
    return contract


def terms_of(contract: Contract | None) -> r.Terms | None:
    if contract is None:
        return None
    return r.Terms(kind=contract.contract_type, points_tenths=int(contract.points_tenths), carry_over=contract.carry_over,
                   starts_on=date.fromisoformat(contract.starts_on),
                   ends_on=date.fromisoformat(contract.ends_on) if contract.ends_on else None)


def describe(contract: Contract | None) -> str:
    """The contract in one line, for people."""
    if contract is None:
        return "契約なし"
    parts = [KIND_LABELS[contract.contract_type]]
    if contract.contract_type == r.PREPAID_MONTHLY:
        parts.append(f"毎月 {r.format_points(contract.points_tenths)} pt")
    elif contract.contract_type == r.PREPAID_TERM:
        parts.append(f"期間中 {r.format_points(contract.points_tenths)} pt")
    elif contract.contract_type == r.POSTPAID:
        parts.append(f"1 pt = {int(contract.unit_price):,}円")
    if contract.contract_type in r.PREPAID:
        parts.append("繰り越しあり" if contract.carry_over else "繰り越しなし")
    if contract.approval_required:
        parts.append("見積承認が必要")
    return "、".join(parts)


# The balance and the ledger.

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


def _balance_write(tx, balance: Balance, delta: int, *, month: str, charge: bool, posting_key: str | None) -> None:
    """The balance's new value, conditioned on the version that was read. ``charge``: the delta
    also counts as the month's usage."""
    actions = [Balance.tenths.set(int(balance.tenths) + delta), Balance.version.set(int(balance.version) + 1),
               Balance.company_id.set(balance.company_id)]
    if posting_key:
        actions.append(Balance.posted.add({posting_key}))
    if charge:
        same = getattr(balance, "usage_month", None) == month
        used = (int(balance.usage_tenths or 0) if same else 0) - delta
        actions += [Balance.usage_month.set(month), Balance.usage_tenths.set(used)]
    condition = (Balance.version == int(balance.version)) if int(balance.version) else Balance.version.does_not_exist()
    tx.update(balance, actions=actions, condition=condition)


def _post(company_id: str, *, kind: str, tenths: int | None, month: str, note: str = "", actor_name: str = "",
          request: Request | None = None, posting_key: str | None = None, now: datetime) -> Posted:
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
                                    actor_name=actor_name, at=now, **_request_fields(request))

        def write(tx):
            if entry is not None:
                tx.save(entry)
            _balance_write(tx, balance, delta, month=month, charge=_counts_as_usage(kind, balance),
                           posting_key=posting_key)

        try:
            transact(write)
        except TransactWriteError as error:
            if condition_failed(error, 1 if entry is not None else 0):
                time.sleep(random.uniform(0, 0.005 * min(attempt + 1, 10)))
                continue
            raise
        return Posted(entry, Balance.load(company_id))
    raise Conflict("balance kept changing")


def _request_fields(request: Request | None) -> dict:
    if request is None:
        return {}
    return dict(request_id=request.request_id, request_number=int(request.number), request_title=request.title)


def settle(company_id: str, *, now: datetime | None = None, contract: Contract | None = None,
           balance: Balance | None = None) -> Balance:
    """Make the grants and expiries the current contract has made due (each once). Costs nothing
    beyond the reads when nothing is due."""
    now = now or utcnow()
    contract = contract or Contract.current(company_id)
    balance = balance or Balance.load(company_id)
    for posting in r.due_postings(terms_of(contract), posted=set(balance.posted or set()), today=today_jst(now)):
        note = {r.GRANT: f"{posting.month} 分の付与" if not posting.key.startswith("GRANT#TERM#") else "契約期間の付与",
                r.EXPIRY: f"{posting.month} 分の残りポイントの失効"}[posting.kind]
        balance = _post(company_id, kind=posting.kind, tenths=posting.tenths, month=posting.month, note=note,
                        actor_name="自動", posting_key=posting.key, now=now).balance
    return balance


@dataclass
class Summary:
    """What both sides see of a company's points."""

    contract: Contract | None
    balance: Balance
    month: str

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
        return describe(self.contract)


def summary(actor: User, company_id: str | None, *, now: datetime | None = None) -> Summary:
    """残りポイント (or the month's usage) and the contract of a company, settled first."""
    if company_id is None:
        raise NotFound()
    permissions.authorize(actor, permissions.POINTS_VIEW, company_id=company_id)
    now = now or utcnow()
    contract = Contract.current(company_id)
    balance = settle(company_id, now=now, contract=contract)
    return Summary(contract=contract, balance=balance, month=r.month_of(today_jst(now)))


def ledger(actor: User, company_id: str, *, limit: int = 20) -> list[LedgerEntry]:
    """The newest entries of the ポイント履歴 (one query)."""
    permissions.authorize(actor, permissions.POINTS_VIEW, company_id=company_id)
    return LedgerEntry.latest(company_id, limit=limit)


def contract_history(actor: User, company_id: str) -> list[Contract]:
    permissions.authorize(actor, permissions.CONTRACT_VIEW, company_id=company_id)
    return Contract.history(company_id)


def top_up(actor: User, company_id: str, *, points: str, note: str, now: datetime | None = None) -> LedgerEntry:
    """チャージ: points added to the balance (e.g. bought on top of the contract)."""
    _company(actor, company_id, permissions.POINTS_TOPUP)
    errors: dict[str, str] = {}
    amount = _points(errors, "topup_points", points)
    note = _text(errors, "topup_note", note, maximum=NOTE_MAX, required=False)
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    settle(company_id, now=now)
    return _post(company_id, kind=r.TOPUP, tenths=r.to_tenths(amount), month=r.month_of(today_jst(now)),
                 note=note, actor_name=actor.name, now=now).entry


def adjust(actor: User, company_id: str, *, points: str, note: str, now: datetime | None = None) -> LedgerEntry:
    """調整: a correction, positive or negative, always with its reason; entries are never edited."""
    _company(actor, company_id, permissions.POINTS_TOPUP)
    errors: dict[str, str] = {}
    amount = _points(errors, "adjust_points", points, allow_negative=True)
    note = _text(errors, "adjust_note", note, maximum=NOTE_MAX)
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    settle(company_id, now=now)
    return _post(company_id, kind=r.ADJUSTMENT, tenths=r.to_tenths(amount), month=r.month_of(today_jst(now)),
                 note=note, actor_name=actor.name, now=now).entry


# Estimates (見積), their answers, and the charge at 完了.

@dataclass
class LineInput:
    """One row of the estimate form as typed: a menu item, or a free-form item (name, points)."""

    menu_item_id: str = ""
    quantity: str = ""
    name: str = ""
    points: str = ""

    @property
    def empty(self) -> bool:
        return not (self.menu_item_id or self.name.strip() or self.points.strip() or self.quantity.strip())


def estimate_of(request_id: str) -> Estimate | None:
    return Estimate.find(request_id)


def _urgency(request: Request):
    from chalicelib.services import urgency

    return urgency.urgency_for(request.due, filed_on=request.created_at.astimezone(JST).date())


def urgency_of(request: Request):
    """The multiplier the request's lead time gives (fixed by its filing day)."""
    return _urgency(request)


def _parse_lines(errors: dict, rows: list[LineInput]) -> list[r.Line]:
    menu_items = {item.item_id: item for item in MenuItem.all()} if any(row.menu_item_id for row in rows) else {}
    lines = []
    for index, row in enumerate(rows):
        if row.empty:
            continue
        try:
            quantity = r.parse_quantity(row.quantity or "1")
        except r.BadNumber as bad:
            errors[f"qty_{index}"] = t(bad.key, max=r.QUANTITY_MAX)
            continue
        if row.menu_item_id:
            item = menu_items.get(row.menu_item_id)
            if item is None or not item.active:
                errors[f"menu_{index}"] = t("estimate.menu_unknown")
                continue
            # A name or points typed beside a chosen item would be silently dropped: say so instead.
            for typed, name in ((row.name, f"name_{index}"), (row.points, f"points_{index}")):
                if typed.strip():
                    errors[name] = t("estimate.menu_and_free")
            if errors.keys() & {f"name_{index}", f"points_{index}"}:
                continue
            lines.append(r.Line(name=item.name, quantity=quantity, unit_tenths=int(item.points_tenths),
                                menu_item_id=item.item_id))
        else:
            name = _text(errors, f"name_{index}", row.name, maximum=NAME_MAX)
            points = _points(errors, f"points_{index}", row.points)
            if f"name_{index}" not in errors and points is not None:
                lines.append(r.Line(name=name, quantity=quantity, unit_tenths=r.to_tenths(points)))
    if not lines and not errors:
        errors["lines"] = t("estimate.empty")
    elif len(lines) > ESTIMATE_LINES_MAX:
        errors["lines"] = t("estimate.too_many", max=ESTIMATE_LINES_MAX)
    return lines


def _estimate_text(estimate: Estimate) -> str:
    text = f"{r.format_points(estimate.total_tenths)} pt"
    if Decimal(estimate.multiplier) != 1:
        text += f"({r.format_points(estimate.subtotal_tenths)} pt {r.format_multiplier(Decimal(estimate.multiplier))})"
    return text


def _touch(tx, request: Request, now: datetime, *, awaiting_agency: bool) -> None:
    """The request moves up both sides' lists, as a comment would move it."""
    request.last_activity_at = now
    request.reindex()
    tx.update(request, actions=[Request.last_activity_at.set(now), Request.awaiting_agency.set(awaiting_agency),
                                Request.gsi1sk.set(request.gsi1sk), Request.gsi2sk.set(request.gsi2sk)],
              condition=Request.pk.exists())


def _load_request(actor: User, request_id: str, action: str) -> Request:
    request = Request.find(request_id) if is_id(request_id) else None
    if request is None:
        raise NotFound()
    permissions.authorize(actor, action, company_id=request.company_id)
    return request


def save_estimate(actor: User, request_id: str, rows: list[LineInput], *, version: int,
                  now: datetime | None = None) -> Estimate:
    """見積 by the agency: items from the menu or free-form, the urgency multiplier applied. A saved
    estimate waits for the client's 承認 again, even one changed after an approval.

    Raises Invalid (per row), Conflict (saved or answered since ``version``), NotFound, Forbidden.
    """
    request = _load_request(actor, request_id, permissions.ESTIMATE_EDIT)
    now = now or utcnow()
    errors: dict[str, str] = {}
    if request.status in workflow.CLOSED or ChargeMark.find(request.request_id) is not None:
        raise Invalid({"_form": t("estimate.closed")})
    lines = _parse_lines(errors, rows)
    if errors:
        raise Invalid(errors)
    urgency = _urgency(request)
    totals = r.estimate_totals(lines, urgency.multiplier)
    before = Estimate.find(request.request_id)
    current_version = int(before.version) if before else 0
    if version != current_version:
        raise Conflict("estimate changed meanwhile")
    estimate = Estimate(*Estimate.keys(request.request_id), request_id=request.request_id,
                        company_id=request.company_id,
                        lines=[EstimateLine(name=line.name, menu_item_id=line.menu_item_id, quantity=line.quantity,
                                            unit_tenths=line.unit_tenths) for line in lines],
                        multiplier=str(urgency.multiplier), urgency_label=urgency.label,
                        subtotal_tenths=totals.subtotal_tenths, total_tenths=totals.total_tenths, state=PENDING,
                        version=current_version + 1, updated_at=now)
    old = f"{_estimate_text(before)}({STATE_LABELS[before.state]})" if before else "なし"
    new = f"{_estimate_text(estimate)}({STATE_LABELS[PENDING]})"
    entry = ThreadEntry.new(request_id=request.request_id, entry_kind="change", side=workflow.AGENCY,
                            author_id=actor.user_id, author_name=actor.name, at=now, field="estimate",
                            old_value=old, new_value=new)
    told = notifications.event(ESTIMATE_EVENT, request=request, actor=actor, event_id=entry.entry_id, at=now,
                               new_value=new, body=_lines_text(estimate))
    condition = (Estimate.version == current_version) if before else Estimate.pk.does_not_exist()

    def write(tx):
        tx.save(estimate, condition=condition)
        tx.save(entry)
        tx.save(told)
        _touch(tx, request, now, awaiting_agency=False)

    try:
        transact(write)
    except TransactWriteError as error:
        if condition_failed(error, 0):
            raise Conflict("estimate changed meanwhile") from None
        raise
    notifications.after_commit([told])
    return estimate


def _lines_text(estimate: Estimate) -> str:
    """The estimate as the mail shows it."""
    rows = [f"・{line.name} × {int(line.quantity)}: {r.format_points(int(line.quantity) * int(line.unit_tenths))} pt"
            for line in estimate.lines]
    if Decimal(estimate.multiplier) != 1:
        rows.append(f"小計 {r.format_points(estimate.subtotal_tenths)} pt、{estimate.urgency_label or '割増'}")
    rows.append(f"合計 {r.format_points(estimate.total_tenths)} pt")
    return "\n".join(rows)


def _answer(actor: User, request_id: str, *, version: int, state: str, reason: str = "",
            now: datetime | None = None) -> Estimate:
    request = _load_request(actor, request_id, permissions.ESTIMATE_ANSWER)
    now = now or utcnow()
    errors: dict[str, str] = {}
    if state == RETURNED:
        reason = _text(errors, "reason", reason, maximum=REASON_MAX)
    estimate = Estimate.find(request.request_id)
    if estimate is None:
        raise NotFound()
    if int(estimate.version) != version:
        raise Conflict("estimate changed meanwhile")
    if estimate.state != PENDING:
        errors["_form"] = t("estimate.answered")
    if errors:
        raise Invalid(errors)
    policy.require(actor, policy.ESTIMATE_ANSWER, request, estimate=estimate, charged=ChargeMark.find(request_id) is not None)
    entries = [ThreadEntry.new(request_id=request.request_id, entry_kind="change", side=workflow.CLIENT,
                               author_id=actor.user_id, author_name=actor.name, at=now, field="estimate_state",
                               old_value=STATE_LABELS[PENDING], new_value=STATE_LABELS[state])]
    if reason:
        entries.append(ThreadEntry.new(request_id=request.request_id, entry_kind="comment", side=workflow.CLIENT,
                                       author_id=actor.user_id, author_name=actor.name, at=now,
                                       body=f"【見積の差し戻し】{reason}"))
    told = notifications.event(ESTIMATE_ANSWER_EVENT, request=request, actor=actor, event_id=entries[0].entry_id,
                               at=now, old_value=STATE_LABELS[PENDING], new_value=STATE_LABELS[state], body=reason)

    def write(tx):
        tx.update(estimate, actions=[Estimate.state.set(state), Estimate.version.set(version + 1),
                                     Estimate.updated_at.set(now)],
                  condition=(Estimate.version == version) & (Estimate.state == PENDING))
        for item in [*entries, told]:
            tx.save(item)
        _touch(tx, request, now, awaiting_agency=True)

    try:
        transact(write)
    except TransactWriteError as error:
        # Updates come after the puts: the estimate's update is the first of them.
        if condition_failed(error, len(entries) + 1):
            raise Conflict("estimate changed meanwhile") from None
        raise
    notifications.after_commit([told])
    return Estimate.find(request.request_id)


def approve_estimate(actor: User, request_id: str, *, version: int, now: datetime | None = None) -> Estimate:
    """承認 by the client of the estimate it was shown (``version``)."""
    return _answer(actor, request_id, version=version, state=APPROVED, now=now)


def return_estimate(actor: User, request_id: str, *, version: int, reason: str,
                    now: datetime | None = None) -> Estimate:
    """差し戻し by the client, with its reason (required; it also becomes a comment)."""
    return _answer(actor, request_id, version=version, state=RETURNED, reason=reason, now=now)


# What update_request asks when the status changes.

WORK_STATUSES = (workflow.IN_PROGRESS, workflow.WAITING, workflow.DONE)


@dataclass
class ChargePlan:
    """The writes that charge a request at 完了, for update_request's transaction."""

    entry: LedgerEntry
    mark: ChargeMark
    balance: Balance
    month: str
    thread_text: str

    def puts(self) -> list:
        return [self.entry, self.mark]

    def update_balance(self, tx) -> None:
        _balance_write(tx, self.balance, int(self.entry.delta_tenths), month=self.month, charge=True,
                       posting_key=None)


@dataclass
class StatusCheck:
    error: str | None = None
    plan: ChargePlan | None = None
    estimate: Estimate | None = field(default=None)


def check_status_change(request: Request, new_status: str, *, now: datetime,
                        side: str = workflow.AGENCY) -> StatusCheck:
    """Whether the contract lets the request move to ``new_status``, and the charge 完了 makes.

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
                            balance_version=int(balance.version) + 1, note=f"見積 {_estimate_text(estimate)}",
                            actor_name="", at=now, **_request_fields(request))
    mark = ChargeMark(*ChargeMark.keys(request.request_id), request_id=request.request_id,
                      entry_id=entry.entry_id, at=now)
    text = f"{r.format_points(estimate.total_tenths)} pt 消費"
    return StatusCheck(estimate=estimate, plan=ChargePlan(entry=entry, mark=mark, balance=balance, month=month,
                                                          thread_text=text))


# The monthly statement (月次明細).

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
    company = _company(actor, company_id, permissions.POINTS_VIEW)
    if not r.is_month(month):
        raise Invalid({"month": t("statement.month")})
    contract = Contract.current(company_id)
    settle(company_id, now=now, contract=contract)
    entries = LedgerEntry.of_month(company_id, month)
    totals: dict[str, int] = {}
    for entry in entries:
        totals[entry.entry_kind] = totals.get(entry.entry_kind, 0) + int(entry.delta_tenths)
    opening = int(entries[0].balance_after_tenths) - int(entries[0].delta_tenths) if entries else None
    closing = int(entries[-1].balance_after_tenths) if entries else None
    if opening is None:
        # No entries this month: the balance did not move; the latest earlier entry tells it.
        earlier = LedgerEntry.last_before(company_id, month)
        opening = closing = int(earlier.balance_after_tenths) if earlier else 0
    return Statement(company=company, month=month, entries=entries, contract=contract, totals=totals,
                     opening_tenths=opening, closing_tenths=closing)


CSV_HEADER = ["日時", "種類", "依頼番号", "件名", "内容", "ポイント", "残りポイント"]


def statement_csv(view: Statement) -> bytes:
    from chalicelib.templating import format_jst

    rows = [[format_jst(e.at), ENTRY_LABELS[e.entry_kind], f"#{int(e.request_number)}" if e.request_number else "",
             e.request_title or "", e.note, r.from_tenths(e.delta_tenths), r.from_tenths(e.balance_after_tenths)]
            for e in view.entries]
    rows.append(["合計", "利用ポイント", "", "", "", r.from_tenths(view.usage_tenths), ""])
    if view.amount is not None:
        rows.append(["請求額(円)", "", "", "", f"1 pt = {int(view.contract.unit_price)}円", view.amount, ""])
    return r.csv_bytes(CSV_HEADER, rows)


def statement_filename(view: Statement) -> str:
    return f"{view.company.name}_{view.month}_月次明細.csv"


# The agency's overview of every company's usage.

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
        if r.due_postings(_terms_on(balance), posted=set(balance.posted or set()), today=today_jst(now)):
            # A month began since anyone looked: make its grant now (once a month per company).
            balance = settle(company.company_id, now=now)
        rows.append(UsageRow(company=company, balance=balance, month=month))
    return rows


def _terms_on(balance: Balance) -> r.Terms | None:
    """The current contract's terms as copied onto the balance item."""
    if not balance.contract_kind or not balance.contract_starts_on:
        return None
    return r.Terms(kind=balance.contract_kind, points_tenths=int(balance.contract_points_tenths or 0),
                   carry_over=bool(balance.contract_carry_over), starts_on=date.fromisoformat(balance.contract_starts_on),
                   ends_on=date.fromisoformat(balance.contract_ends_on) if balance.contract_ends_on else None)
