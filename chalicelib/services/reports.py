"""月次保守レポート (issue 19, item 4): what a client company asked for and got in one month, its
points, and the agency's コメント; 送信 issues it as a PDF written once to S3 and mails the
company's admins a link.

The figures are pure functions of the requests and ledger entries read (``figures``), so they are
unit-tested without I/O. How each is measured (the report says the same in its notes):

- 受付: requests filed in the month (Japan time), 取り下げ ones left out.
- 完了: requests whose last completion fell in the month; 期限内 when completed on or before its
  公開希望日 (the day in Japan), 期限超過 after it, no judgement without a 公開希望日; the points are
  the month's charges of that request.
- 月末時点で未完了: filed before the month ended and not 完了 at its end (open now, or completed
  after it).
- 初回回答までの時間: from filing to the agency's first answer the client sees (a comment, a
  status change or a 見積; never a 社内メモ), wall-clock time, the median over the month's requests
  that were answered; requests not answered yet, or answered before the time was recorded, are
  counted apart.
- ポイント: the month's ledger (付与, 消費, 失効, チャージ, 調整), the remainder at the month's end
  (the last entry's balance), and what expires next by the contract's terms.

A page reads bounded data: one batch (company, balance, report), one ledger query, two request
queries (the open ones and those completed since the month began). 送信 freezes the figures on
the report item and in the PDF; a sent report is final and never recomputed.
"""
from __future__ import annotations

import json
import logging
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from pynamodb.exceptions import PutError

from chalicelib.adapters import config, s3
from chalicelib.adapters.ses import SendFailed
from chalicelib.clock import JST, format_jst, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.messages import ENTRY_LABELS, STATUS_LABELS, t
from chalicelib.models.base import batch_read, is_condition_failure
from chalicelib.models.companies import Company
from chalicelib.models.ids import is_id
from chalicelib.models.points import Balance, LedgerEntry
from chalicelib.models.reports import SENT, Report, sent_company_ids_kept
from chalicelib.models.requests import Request, done_of_company_since, open_of_company
from chalicelib.models.users import CLIENT_ADMIN, User
from chalicelib.services import agency as agency_settings
from chalicelib.services import audit, companies, contracts, ledger, mail, permissions, workflow
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v
from chalicelib.services.ledger import today_jst

log = logging.getLogger(__name__)

COMMENT_MAX = 2000
PDF_TYPE = "application/pdf"


# ---- Months in Japan time (pure) ------------------------------------------------------------

def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first moment of ``month`` in Japan and the first moment of the next one (aware)."""
    start = datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=JST)
    following = r.next_month(month)
    return start, datetime(int(following[:4]), int(following[5:7]), 1, tzinfo=JST)


def last_month(now: datetime | None = None) -> str:
    """The month before this one in Japan: the month a report is written for."""
    return r.previous_month(r.month_of(today_jst(now)))


def in_month(moment: datetime | None, month: str) -> bool:
    if moment is None:
        return False
    start, end = month_bounds(month)
    return start <= moment < end


# ---- The figures (pure) ---------------------------------------------------------------------

def on_time(completed_at: datetime | None, due_date: str | None) -> bool | None:
    """Completed on or before its 公開希望日 (the day in Japan); None without either."""
    if completed_at is None or not due_date:
        return None
    return completed_at.astimezone(JST).date() <= date.fromisoformat(due_date)


def median_minutes(durations: Iterable[timedelta]) -> int | None:
    """The median of ``durations`` in whole minutes (rounded), None for none."""
    minutes = sorted(d.total_seconds() / 60 for d in durations)
    if not minutes:
        return None
    return int(round(statistics.median(minutes)))


def format_minutes(minutes: int | None) -> str:
    """"45分", "3時間20分", "2日4時間"; "—" for none."""
    if minutes is None:
        return t("report.no_value")
    if minutes < 60:
        return t("report.minutes", m=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t("report.hours", h=hours, m=rest) if rest else t("report.hours_only", h=hours)
    days, hours = divmod(hours, 24)
    return t("report.days", d=days, h=hours) if hours else t("report.days_only", d=days)


def _jst_day(moment: datetime | None) -> str:
    return moment.astimezone(JST).date().isoformat() if moment else ""


def _line(request: Request, *, points: dict[str, int]) -> dict:
    completed = request.completed_at
    return {"number": int(request.number), "title": request.title, "filed_on": _jst_day(request.created_at),
            "due_date": request.due_date or "", "completed_on": _jst_day(completed) if completed else "",
            "on_time": on_time(completed, request.due_date), "points_tenths": points.get(request.request_id),
            "status": STATUS_LABELS[request.status]}  # as it stands when the figures are made


def expires_next(terms: r.Terms | None, *, month: str, remaining_tenths: int) -> dict | None:
    """What the contract makes expire next after ``month``'s end: the points (None: whatever is
    left then) and the day; None when nothing is set to expire (carry-over, no end, not prepaid)."""
    if terms is None or terms.kind not in r.PREPAID or terms.carry_over:
        return None
    _, end = month_bounds(month)
    first_after = end.date()
    if terms.ends_on is not None and terms.ends_on < first_after - timedelta(days=1) and terms.kind == r.PREPAID_MONTHLY:
        return None  # the contract ended before the month did: its last expiry is already made
    if terms.kind == r.PREPAID_MONTHLY:
        # The month's remainder expires as the next month begins (before its grant).
        return {"tenths": max(remaining_tenths, 0), "on": first_after.isoformat()}
    if terms.ends_on is None or terms.ends_on < first_after - timedelta(days=1):
        return None
    return {"tenths": None, "on": (terms.ends_on + timedelta(days=1)).isoformat()}


def figures(*, company_name: str, month: str, requests: list[Request], entries: list[LedgerEntry],
            opening: LedgerEntry | None, terms: r.Terms | None, contract_text: str) -> dict:
    """Every figure of the report for ``month``, as plain data (what 送信 freezes as JSON)."""
    start, end = month_bounds(month)
    charged: dict[str, int] = {}
    totals = {kind: 0 for kind in (r.GRANT, r.TOPUP, r.CHARGE, r.ADJUSTMENT, r.EXPIRY)}
    for entry in entries:
        totals[entry.entry_kind] = totals.get(entry.entry_kind, 0) + int(entry.delta_tenths)
        if entry.entry_kind == r.CHARGE and entry.request_id:
            charged[entry.request_id] = charged.get(entry.request_id, 0) - int(entry.delta_tenths)
    unique = {req.request_id: req for req in requests if req.status != workflow.WITHDRAWN}
    ordered = sorted(unique.values(), key=lambda req: int(req.number))
    filed = [req for req in ordered if start <= req.created_at < end]
    completed = [req for req in ordered if in_month(req.completed_at, month)]
    still_open = [req for req in ordered if req.created_at < end
                  and not (req.status == workflow.DONE and req.completed_at is not None and req.completed_at < end)]
    answered = [req.first_answered_at - req.created_at for req in filed if req.first_answered_at is not None]
    unanswered = [req for req in filed if req.first_answered_at is None]
    # Answered before first_answered_at was kept: the agency has spoken (awaiting_agency False or
    # the status moved on) but the time is not known.
    unmeasured = [req for req in unanswered if not req.awaiting_agency or req.status != workflow.NEW]
    remaining = int(entries[-1].balance_after_tenths) if entries else (
        int(opening.balance_after_tenths) if opening else 0)
    lines = lambda reqs: [_line(req, points=charged) for req in reqs]  # noqa: E731
    completed_lines = lines(completed)
    return {
        "month": month, "company_name": company_name,
        "filed": lines(filed), "completed": completed_lines, "open_at_end": lines(still_open),
        "on_time_count": sum(1 for line in completed_lines if line["on_time"] is True),
        "late_count": sum(1 for line in completed_lines if line["on_time"] is False),
        "first_answer": {"median_minutes": median_minutes(answered), "answered": len(answered),
                         "unanswered": len(unanswered) - len(unmeasured), "unmeasured": len(unmeasured)},
        "points": {"kind": terms.kind if terms else None, "contract": contract_text,
                   "granted": totals[r.GRANT], "used": -totals[r.CHARGE], "expired": -totals[r.EXPIRY],
                   "topup": totals[r.TOPUP], "adjusted": totals[r.ADJUSTMENT],
                   "remaining": remaining if terms is None or terms.kind in r.PREPAID else None,
                   "expires_next": expires_next(terms, month=month, remaining_tenths=remaining)},
    }


# ---- Reading ----------------------------------------------------------------------------------

@dataclass
class ReportView:
    company: Company
    month: str
    report: Report
    data: dict  # the figures: frozen when sent, computed now for a draft

    @property
    def sent(self) -> bool:
        return self.report.sent


def _month_checked(month: str, now: datetime | None) -> str:
    errors: dict[str, str] = {}
    if v.month(errors, "month", month) is None:
        raise Invalid(errors)
    if month >= r.month_of(today_jst(now)):
        # A month's report is written once it is over: this month's figures are not final yet.
        raise Invalid({"month": t("report.not_over")})
    return month


def _read(company_id: str, month: str) -> tuple[Company, Balance, Report]:
    """The company, its balance and the month's report in one batch read."""
    found = batch_read([(Company, Company.keys(company_id)), (Balance, Balance.keys(company_id)),
                        (Report, Report.keys(company_id, month))])
    company = next((item for item in found if isinstance(item, Company)), None)
    if company is None:
        raise NotFound()
    balance = next((item for item in found if isinstance(item, Balance)), None) or Balance(
        *Balance.keys(company_id), company_id=company_id, tenths=0, version=0)
    report = next((item for item in found if isinstance(item, Report)), None) or Report.blank(company_id, month)
    return company, balance, report


def compute(company: Company, balance: Balance, month: str, *, now: datetime | None = None) -> dict:
    """The figures of ``month`` from the table as it is now (three queries, after the settlement
    of whatever grant or expiry the contract made due)."""
    contract = contracts.from_copy(balance)
    balance = ledger.settle(company.company_id, now=now, contract=contract, balance=balance)
    entries, opening = LedgerEntry.month_with_opening(company.company_id, month)
    start, _ = month_bounds(month)
    found = open_of_company(company.company_id) + done_of_company_since(company.company_id, start)
    return figures(company_name=company.name, month=month, requests=found, entries=entries, opening=opening,
                   terms=ledger.terms_on(balance), contract_text=contracts.describe(contract))


def report(actor: User, company_id: str | None, month: str, *, now: datetime | None = None) -> ReportView:
    """A company's report for ``month``. The agency sees the draft (figures as they are now) or the
    sent report; a client sees only its own company's sent reports (NotFound otherwise, drafts too).
    Invalid for a month that is malformed or not over."""
    if company_id is None or not is_id(company_id):
        raise NotFound()
    permissions.authorize(actor, permissions.REPORT_VIEW, company_id=company_id)
    try:
        month = _month_checked(month, now)
    except Invalid:
        if not actor.is_agency:
            raise NotFound() from None  # a client only follows links to sent reports
        raise
    company, balance, stored = _read(company_id, month)
    if stored.sent:
        return ReportView(company=company, month=month, report=stored, data=stored.figures)
    if not actor.is_agency:
        raise NotFound()  # a draft is the agency's: to a client it does not exist
    return ReportView(company=company, month=month, report=stored, data=compute(company, balance, month, now=now))


def sent_reports(actor: User, company_id: str | None) -> list[Report]:
    """The company's sent reports, newest month first (one query)."""
    if company_id is None:
        raise NotFound()
    permissions.authorize(actor, permissions.REPORT_VIEW, company_id=company_id)
    return Report.sent_of_company(company_id)


def pdf_link(actor: User, company_id: str | None, month: str) -> str:
    """A short-lived presigned link to the sent report's PDF, after the permission check."""
    if company_id is None or not is_id(company_id) or not r.is_month(month):
        raise NotFound()
    permissions.authorize(actor, permissions.REPORT_VIEW, company_id=company_id)
    stored = Report.find(company_id, month)
    if stored is None or not stored.sent or not stored.pdf_key:
        raise NotFound()
    link = s3.presigned_get(stored.pdf_key, filename=pdf_filename(stored), content_type=PDF_TYPE)
    audit.record("report_downloaded", actor=actor, target=f"report:{company_id}:{month}",
                 target_name=pdf_filename(stored), company_id=company_id)
    return link


def pdf_filename(stored: Report) -> str:
    figures_ = stored.figures or {}
    return t("report.filename", company=figures_.get("company_name", ""), month=stored.month)


@dataclass
class Unsent:
    company: Company
    month: str


def unsent_last_month(actor: User, *, now: datetime | None = None) -> list[Unsent]:
    """The companies whose report for last month is not sent yet (the agency's 管理画面): the
    companies as this container keeps them and one query of the month's sent reports."""
    permissions.authorize(actor, permissions.REPORT_WRITE, agency_target=True)
    month = last_month(now)
    _, end = month_bounds(month)
    sent = sent_company_ids_kept(month)
    return [Unsent(company=c, month=month) for c in companies.company_choices(actor)
            if c.company_id not in sent and c.created_at < end]


# ---- Writing ----------------------------------------------------------------------------------

def save_comment(actor: User, company_id: str, month: str, comment: str, *, revision: int,
                 now: datetime | None = None) -> Report:
    """The agency's コメント on a draft (cleaned as every free text is). Invalid for too long a
    text or markup; Conflict when someone saved or sent it since ``revision`` was read."""
    if not is_id(company_id):
        raise NotFound()
    permissions.authorize(actor, permissions.REPORT_WRITE, company_id=company_id)
    month = _month_checked(month, now)
    errors: dict[str, str] = {}
    cleaned = v.text(errors, "comment", comment, maximum=COMMENT_MAX, required=False, markup="report.markup")
    if errors:
        raise Invalid(errors)
    company, _, stored = _read(company_id, month)
    if stored.sent:
        raise Invalid({"comment": t("report.already_sent")})
    if int(stored.revision) != revision:
        raise Conflict("report changed meanwhile")
    now = now or utcnow()
    stored.comment, stored.comment_by, stored.updated_at = cleaned, actor.name, now
    _save(stored, revision)
    return stored


def _save(stored: Report, revision: int) -> None:
    condition = Report.pk.does_not_exist() if revision == 0 else Report.revision == revision
    stored.revision = revision + 1
    try:
        stored.save(condition=condition)
    except PutError as error:
        if is_condition_failure(error):
            raise Conflict("report changed meanwhile") from None
        raise


@dataclass
class Sent:
    report: Report
    mailed: int       # admins the link went to
    failed: int       # admins SES did not take it for


def send(actor: User, company_id: str, month: str, *, revision: int, now: datetime | None = None) -> Sent:
    """送信: freeze the figures, write the PDF once to S3, mark the report sent (conditioned on the
    revision read: two 送信 at once send once), then mail each active client admin a link.

    The PDF is written before the item: if the item's write loses, the PDF stays unreferenced at
    a key with the report's own ID and the next 送信 (a new draft read) writes its own."""
    if not is_id(company_id):
        raise NotFound()
    permissions.authorize(actor, permissions.REPORT_WRITE, company_id=company_id)
    month = _month_checked(month, now)
    now = now or utcnow()
    company, balance, stored = _read(company_id, month)
    if stored.sent:
        raise Invalid({"_form": t("report.already_sent")})
    if int(stored.revision) != revision:
        raise Conflict("report changed meanwhile")
    data = compute(company, balance, month, now=now)
    agency = agency_settings.settings()
    stored.state, stored.sent_at, stored.sender_id, stored.sender_name = SENT, now, actor.user_id, actor.name
    stored.snapshot = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    stored.pdf_key = stored.pdf_key_for()
    if not s3.put_once(stored.pdf_key, render_pdf(stored, data, agency_name=agency.name), content_type=PDF_TYPE):
        raise Conflict("a document is already stored at this key")
    stored.gsi1pk, stored.gsi1sk = stored.listing_keys()
    _save(stored, revision)
    mailed = failed = 0
    for admin in User.members(company_id):
        if admin.role != CLIENT_ADMIN or not admin.active:
            continue
        try:
            mail.send_report(admin, company=company, month=month, sender_name=actor.name, sent_at=now,
                             url=f"{config.site_url()}/reports/{month}")
            mailed += 1
        except SendFailed:
            log.warning("report mail not sent", extra={"company": company_id, "month": month})
            failed += 1
    return Sent(report=stored, mailed=mailed, failed=failed)


# ---- The PDF ----------------------------------------------------------------------------------

def _points(tenths: int | None) -> str:
    return t("report.no_value") if tenths is None else f"{r.format_points(tenths)} pt"


def _date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%Y/%m/%d") if iso else t("report.no_value")


def on_time_label(value: bool | None) -> str:
    return t("report.on_time") if value is True else t("report.late") if value is False else t("report.no_due")


def expiry_text(points: dict) -> str:
    upcoming = points.get("expires_next")
    if not upcoming:
        return t("report.no_expiry")
    amount = t("report.expiry_rest") if upcoming["tenths"] is None else _points(upcoming["tenths"])
    return t("report.expiry", points=amount, on=_date(upcoming["on"]))


def summary_pairs(data: dict) -> list[tuple[str, str]]:
    """The report's 概要, as the page and the PDF write it."""
    answer = data["first_answer"]
    answered = t("report.median_note", n=answer["answered"])
    if answer["unanswered"]:
        answered += t("report.unanswered_note", n=answer["unanswered"])
    if answer["unmeasured"]:
        answered += t("report.unmeasured_note", n=answer["unmeasured"])
    return [(t("report.filed"), t("report.count", n=len(data["filed"]))),
            (t("report.completed"), t("report.completed_count", n=len(data["completed"]), on_time=data["on_time_count"],
                                      late=data["late_count"])),
            (t("report.open_at_end"), t("report.count", n=len(data["open_at_end"]))),
            (t("report.first_answer"), f"{format_minutes(answer['median_minutes'])}{answered}")]


def point_pairs(data: dict) -> list[tuple[str, str]]:
    p = data["points"]
    pairs = [(t("report.contract"), p["contract"]),
             (t("report.granted"), _points(p["granted"])),
             (t("report.used"), _points(p["used"])),
             (t("report.expired"), _points(p["expired"]))]
    if p["topup"]:
        pairs.append((ENTRY_LABELS[r.TOPUP], _points(p["topup"])))
    if p["adjusted"]:
        pairs.append((ENTRY_LABELS[r.ADJUSTMENT], _points(p["adjusted"])))
    pairs.append((t("report.remaining"), _points(p["remaining"])))
    pairs.append((t("report.expires_next"), expiry_text(p)))
    return pairs


def render_pdf(stored: Report, data: dict, *, agency_name: str) -> bytes:
    """The report as an A4 PDF (adapters.pdf; ReportLab is imported there on first use)."""
    from chalicelib.adapters import pdf  # noqa: PLC0415 (only 送信 pays for the PDF code)

    month_label = r.month_label(data["month"])
    title = t("report.title")
    done_rows = [[f"#{line['number']}", line["title"], _date(line["due_date"]), _date(line["completed_on"]),
                  on_time_label(line["on_time"]), _points(line["points_tenths"])] for line in data["completed"]]
    filed_rows = [[f"#{line['number']}", line["title"], _date(line["filed_on"]), _date(line["due_date"]),
                   line["status"]] for line in data["filed"]]
    open_rows = [[f"#{line['number']}", line["title"], _date(line["filed_on"]), _date(line["due_date"]),
                  line["status"]] for line in data["open_at_end"]]
    blocks = [
        pdf.Heading(f"{title} {month_label}"),
        pdf.Columns(left=[pdf.Text(t("report.recipient", company=data["company_name"]), size=13)],
                    right=[pdf.Text(agency_name, align="right"),
                           pdf.Text(t("report.sent_on", on=format_jst(stored.sent_at, "%Y/%m/%d")), align="right",
                                    muted=True)]),
        pdf.Space(4),
        pdf.Heading(t("report.summary"), level=2),
        pdf.Fields(summary_pairs(data), label_width=0.32),
        # The agency's words come first after the figures' gist: they are what the reader reads.
        pdf.Heading(t("report.comment_title"), level=2),
        pdf.Text(stored.comment or t("report.no_comment"), muted=not stored.comment),
        pdf.Heading(t("report.completed_title"), level=2),
        pdf.Table([t("report.col_number"), t("report.col_title"), t("report.col_due"), t("report.col_completed"),
                   t("report.col_on_time"), t("report.col_points")], done_rows,
                  [0.08, 0.38, 0.14, 0.14, 0.12, 0.14], right={5}, empty=t("report.none_completed")),
        pdf.Heading(t("report.filed_title"), level=2),
        pdf.Table([t("report.col_number"), t("report.col_title"), t("report.col_filed"), t("report.col_due"),
                   t("report.col_status")], filed_rows, [0.08, 0.46, 0.16, 0.16, 0.14], empty=t("report.none_filed")),
        pdf.Heading(t("report.open_title"), level=2),
        pdf.Table([t("report.col_number"), t("report.col_title"), t("report.col_filed"), t("report.col_due"),
                   t("report.col_status")], open_rows, [0.08, 0.46, 0.16, 0.16, 0.14], empty=t("report.none_open")),
        pdf.Heading(t("report.points_title"), level=2),
        pdf.Fields(point_pairs(data), label_width=0.32),
        pdf.Space(3),
        pdf.Text(t("report.notes"), size=7.5, muted=True),
    ]
    return pdf.render(blocks, title=f"{title} {month_label} {data['company_name']}", author=agency_name,
                      subject=title, footer=f"{agency_name} {title} {month_label}")

