"""Estimates (見積) on a request and the client's 承認 / 差し戻し.

Staff add items from the ポイント表 (with a quantity) or free-form items; the urgency multiplier
comes from the request's lead time at filing. Each save and each answer is an event in the
request's thread, written through ``requests.activity`` (the thread's one writer) in the same
transaction as the estimate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from chalicelib.clock import japan_date, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.messages import STATE_LABELS, t  # noqa: F401  (estimates.STATE_LABELS: the pages' labels)
from chalicelib.models.base import TransactionFailed, transact
from chalicelib.models.points import APPROVED, PENDING, RETURNED, ChargeMark, Estimate, EstimateLine, MenuItem
from chalicelib.models.requests import Request
from chalicelib.models.users import User
from chalicelib.services import notifications, permissions, policy, requests, search, urgency, workflow
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v
from chalicelib.services.ledger import estimate_text
from chalicelib.services.menu import NAME_MAX

REASON_MAX = 2000
NOTE_MAX = 100
ESTIMATE_LINES_MAX = 30
# Mail events of estimates (see notifications.recipients: the agency's go to the requester and
# 依頼関係者, the client's answer to the 担当者).
ESTIMATE_EVENT, ESTIMATE_ANSWER_EVENT = "estimate", "estimate_answer"


@dataclass
class LineInput:
    """One row of the estimate form as typed: a menu item, or a free-form item (name, points)."""

    menu_item_id: str = ""
    quantity: str = ""
    name: str = ""
    points: str = ""
    note: str = ""  # optional, on any row: which one it is (two 画像の差し替え told apart)

    @property
    def empty(self) -> bool:
        return not (self.menu_item_id or self.name.strip() or self.points.strip() or self.quantity.strip()
                    or self.note.strip())


def estimate_of(request_id: str) -> Estimate | None:
    return Estimate.find(request_id)


def urgency_of(request: Request) -> urgency.Urgency:
    """The multiplier the request's lead time gives (fixed by its filing day in Japan)."""
    return urgency.urgency_for(request.due, filed_on=japan_date(request.created_at))


def _parse_lines(errors: dict, rows: list[LineInput]) -> list[r.Line]:
    menu_items = {item.item_id: item for item in MenuItem.all()} if any(row.menu_item_id for row in rows) else {}
    lines = []
    for index, row in enumerate(rows):
        if row.empty:
            continue
        quantity = v.quantity(errors, f"qty_{index}", row.quantity)
        note = v.text(errors, f"note_{index}", row.note, maximum=NOTE_MAX, single_line=True, required=False,
                      markup="points.markup")
        if quantity is None or f"note_{index}" in errors:
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
                                menu_item_id=item.item_id, note=note))
        else:
            name = v.text(errors, f"name_{index}", row.name, maximum=NAME_MAX, single_line=True,
                          markup="points.markup")
            points = v.points(errors, f"points_{index}", row.points)
            if f"name_{index}" not in errors and points is not None:
                lines.append(r.Line(name=name, quantity=quantity, unit_tenths=r.to_tenths(points), note=note))
    if not lines and not errors:
        errors["lines"] = t("estimate.empty")
    elif len(lines) > ESTIMATE_LINES_MAX:
        errors["lines"] = t("estimate.too_many", max=ESTIMATE_LINES_MAX)
    return lines


def _commit(write, told) -> None:
    """Run an estimate's transaction (its write labelled ``estimate``), then send its mail. Raises
    Conflict when the estimate changed since it was read."""
    try:
        transact(write)
    except TransactionFailed as error:
        if error.failed("estimate"):
            raise Conflict("estimate changed meanwhile") from None
        raise
    notifications.after_commit([told])


def save_estimate(actor: User, request_id: str, rows: list[LineInput], *, version: int,
                  now: datetime | None = None) -> Estimate:
    """見積 by the agency: items from the menu or free-form, the urgency multiplier applied. A saved
    estimate waits for the client's 承認 again, even one changed after an approval.

    Raises Invalid (per row), Conflict (saved or answered since ``version``), NotFound, Forbidden.
    """
    request = requests.load(actor, request_id, permissions.ESTIMATE_EDIT)
    now = now or utcnow()
    errors: dict[str, str] = {}
    if request.status in workflow.CLOSED or ChargeMark.find(request.request_id) is not None:
        raise Invalid({"_form": t("estimate.closed")})
    lines = _parse_lines(errors, rows)
    if errors:
        raise Invalid(errors)
    multiplier = urgency_of(request)
    totals = r.estimate_totals(lines, multiplier.multiplier)
    before = Estimate.find(request.request_id)
    current_version = int(before.version) if before else 0
    if version != current_version:
        raise Conflict("estimate changed meanwhile")
    estimate = Estimate(*Estimate.keys(request.request_id), request_id=request.request_id,
                        company_id=request.company_id,
                        lines=[EstimateLine(name=line.name, menu_item_id=line.menu_item_id, quantity=line.quantity,
                                            unit_tenths=line.unit_tenths, note=line.note) for line in lines],
                        multiplier=str(multiplier.multiplier), urgency_label=multiplier.label,
                        subtotal_tenths=totals.subtotal_tenths, total_tenths=totals.total_tenths, state=PENDING,
                        version=current_version + 1, updated_at=now)
    old = f"{estimate_text(before)}({STATE_LABELS[before.state]})" if before else t("estimate.none")
    new = f"{estimate_text(estimate)}({STATE_LABELS[PENDING]})"
    activity = requests.activity(actor, request, side=workflow.AGENCY, now=now, changes=[("estimate", old, new)])
    told = notifications.event(ESTIMATE_EVENT, request=request, actor=actor, event_id=activity.entries[0].entry_id,
                               at=now, new_value=new, body=_lines_text(estimate))
    condition = (Estimate.version == current_version) if before else Estimate.pk.does_not_exist()

    def write(tx):
        tx.save(estimate, condition=condition, label="estimate")
        activity.write(tx)
        tx.save(told, label="mail")

    _commit(write, told)
    return estimate


def _lines_text(estimate: Estimate) -> str:
    """The estimate as the mail shows it."""
    rows = [t("estimate.mail_line", name=f"{line.name}({line.note})" if line.note else line.name,
              quantity=int(line.quantity),
              points=r.format_points(int(line.quantity) * int(line.unit_tenths)))
            for line in estimate.lines]
    if Decimal(estimate.multiplier) != 1:
        rows.append(t("estimate.mail_subtotal", points=r.format_points(estimate.subtotal_tenths),
                      label=estimate.urgency_label or t("estimate.mail_surcharge")))
    rows.append(t("estimate.mail_total", points=r.format_points(estimate.total_tenths)))
    return "\n".join(rows)


def _answer(actor: User, request_id: str, *, version: int, state: str, reason: str = "",
            now: datetime | None = None) -> Estimate:
    request = requests.load(actor, request_id, permissions.ESTIMATE_ANSWER)
    now = now or utcnow()
    errors: dict[str, str] = {}
    if state == RETURNED:
        reason = v.text(errors, "reason", reason, maximum=REASON_MAX, markup="points.markup")
    estimate = Estimate.find(request.request_id)
    if estimate is None:
        raise NotFound()
    if int(estimate.version) != version:
        raise Conflict("estimate changed meanwhile")
    if estimate.state != PENDING:
        errors["_form"] = t("estimate.answered")
    if errors:
        raise Invalid(errors)
    policy.require(actor, policy.ESTIMATE_ANSWER, request, estimate=estimate,
                   charged=ChargeMark.find(request_id) is not None)
    activity = requests.activity(actor, request, side=workflow.CLIENT, now=now,
                                 changes=[("estimate_state", STATE_LABELS[PENDING], STATE_LABELS[state])],
                                 comment=t("estimate.returned_comment", reason=reason) if reason else "")
    told = notifications.event(ESTIMATE_ANSWER_EVENT, request=request, actor=actor,
                               event_id=activity.entries[0].entry_id, at=now, old_value=STATE_LABELS[PENDING],
                               new_value=STATE_LABELS[state], body=reason)

    def write(tx):
        tx.update(estimate, [Estimate.state.set(state), Estimate.version.set(version + 1),
                             Estimate.updated_at.set(now)],
                  condition=(Estimate.version == version) & (Estimate.state == PENDING), label="estimate")
        activity.write(tx)
        tx.save(told, label="mail")

    _commit(write, told)
    for entry in activity.entries:  # 差し戻し's reason is a comment both sides see: searchable
        search.comment_added(request, entry)
    return Estimate.find(request.request_id)


def approve_estimate(actor: User, request_id: str, *, version: int, now: datetime | None = None) -> Estimate:
    """承認 by the client of the estimate it was shown (``version``)."""
    return _answer(actor, request_id, version=version, state=APPROVED, now=now)


def return_estimate(actor: User, request_id: str, *, version: int, reason: str,
                    now: datetime | None = None) -> Estimate:
    """差し戻し by the client, with its reason (required; it also becomes a comment)."""
    return _answer(actor, request_id, version=version, state=RETURNED, reason=reason, now=now)
