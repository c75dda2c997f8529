"""月次保守レポート: the agency's page of one company's month (コメント, 送信) under /clients, the
client's list of sent reports and each report under /reports, and the PDF links of both (a
presigned GET after the permission check: the bytes never pass through Lambda)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.errors import Invalid, NotFound
from chalicelib.messages import t
from chalicelib.services import permissions, reports
from chalicelib.services import pointrules as r
from chalicelib.services.auth import SignedIn
from chalicelib.web import confirmations
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit
from chalicelib.web.guards import signed_in_page
from chalicelib.web.points import month_choices, picked_month
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

NOTICES = {"saved": "report.comment_saved"}


def _query(name: str) -> str:
    return (bp.current_request.query_params or {}).get(name, "")


def _asked_month() -> str:
    """``month=YYYY-MM``, or the picker's two selects (as on the 月次明細), else last month."""
    year, number = _query("year"), _query("month_number")
    if year or number:
        return picked_month(year, number)
    return _query("month") or reports.last_month()


def _choices(month: str) -> dict:
    choices = month_choices(month)
    last = reports.last_month()
    if not (r.is_month(month) and month <= last):
        choices.update(shown_year=int(last[:4]), shown_number=int(last[5:]))
    return choices


def labels() -> dict:
    return dict(fmt=r.format_points, summary_pairs=reports.summary_pairs, comment_max=reports.COMMENT_MAX,
                point_pairs=reports.point_pairs, on_time_label=reports.on_time_label, format_points=r.format_points)


def confirmation(view: reports.ReportView) -> confirmations.Confirmation:
    base = f"/clients/{view.company.company_id}/report"
    label = r.month_label(view.month)
    return confirmations.Confirmation(
        key="report-send", title=t("confirm.report.title", month=label), lines=[t("confirm.report.effect")],
        button=t("confirm.report.button"), action=f"{base}/send", back=f"{base}?month={view.month}",
        back_label=t("report.title"), final=True,
        facts=[(t("confirm.report.company"), view.company.name), (t("confirm.report.month"), label)])


def agency_page(me: SignedIn, company_id: str, month: str, *, status: int = 200, errors: dict | None = None,
                comment: str | None = None, notice: str | None = None):
    """The agency's page of a company's month: the figures (now, or as sent), the コメント form and
    送信 while it is a draft. A bad month shows the picker with its message."""
    base = f"/clients/{company_id}/report"
    choices = _choices(month)

    def shown(view: reports.ReportView):
        last = reports.last_month()
        following = r.next_month(view.month)
        return page("reports/show.html", status=status, view=view, month=view.month, base=base, errors=errors or {},
                    comment=view.report.comment if comment is None else comment, notice=notice,
                    can_write=permissions.can(me.user, permissions.REPORT_WRITE) and not view.sent,
                    ask=confirmation(view), previous=r.previous_month(view.month),
                    following=following if following <= last else None, company=view.company,
                    **choices, **labels())

    return submit(lambda: reports.report(me.user, company_id, month), done=shown,
                  refuse=lambda code, refused: page("reports/show.html", status=code, view=None, month=month, base=base,
                                                    errors=refused, comment="", company=None, **choices, **labels()),
                  conflict=False)


@bp.route("/clients/{company_id}/report", methods=["GET"])
@signed_in_page
def company_report(me: SignedIn, company_id: str):
    # /clients/ is the agency's; a client reads its own reports under /reports.
    permissions.authorize(me.user, permissions.REPORT_WRITE, company_id=company_id)
    notice = NOTICES.get(_query("notice"))
    return agency_page(me, company_id, _asked_month(), notice=t(notice) if notice else None)


def _revision() -> int:
    number = r.parse_whole(field("revision"))
    return -1 if number is None else number


@bp.route("/clients/{company_id}/report/comment", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def comment_save(me: SignedIn, company_id: str):
    month, comment = field("month"), field("comment", strip=False).replace("\r\n", "\n")
    return submit(lambda: reports.save_comment(me.user, company_id, month, comment, revision=_revision()),
                  done=lambda saved: redirect(f"/clients/{company_id}/report?month={saved.month}&notice=saved"),
                  refuse=lambda status, errors: agency_page(me, company_id, month, status=status, errors=errors,
                                                            comment=comment))


@bp.route("/clients/{company_id}/report/send", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def report_send(me: SignedIn, company_id: str):
    month = field("month")
    permissions.authorize(me.user, permissions.REPORT_WRITE, company_id=company_id)
    if not confirmations.confirmed():
        try:
            view = reports.report(me.user, company_id, month)
        except Invalid:
            view = None  # the service refuses it below, on the page
        if view is not None and not view.sent:
            return confirmations.ask(confirmation(view), keep=("month", "revision"))
    return submit(lambda: reports.send(me.user, company_id, month, revision=_revision()),
                  done=lambda sent: agency_page(me, company_id, month, notice=_sent_notice(sent)),
                  refuse=lambda status, errors: agency_page(me, company_id, month, status=status, errors=errors))


def _sent_notice(sent: reports.Sent) -> str:
    if sent.failed:
        return t("report.sent_mail_failed", n=sent.mailed, failed=sent.failed)
    if not sent.mailed:
        return t("report.sent_no_admin")
    return t("report.sent", n=sent.mailed)


@bp.route("/clients/{company_id}/report.pdf", methods=["GET"])
@signed_in_page
def company_report_pdf(me: SignedIn, company_id: str):
    permissions.authorize(me.user, permissions.REPORT_WRITE, company_id=company_id)
    month = _query("month")
    try:
        return redirect(reports.pdf_link(me.user, company_id, month))
    except NotFound:
        # Not sent (or no such month): its page says what there is.
        return redirect(f"/clients/{company_id}/report?month={month}")


# The client's side: its company comes from the session only.

@bp.route("/reports", methods=["GET"])
@signed_in_page
def report_list(me: SignedIn):
    if me.user.is_agency:
        return redirect("/clients")  # the agency opens each company's reports from its page
    listed = reports.sent_reports(me.user, me.user.company_id)
    return page("reports/list.html", listed=listed, month_label=r.month_label, **labels())


@bp.route("/reports/{month}", methods=["GET"])
@signed_in_page
def client_report(me: SignedIn, month: str):
    view = reports.report(me.user, me.user.company_id, month)  # NotFound: not sent, not theirs, no month
    return page("reports/show.html", view=view, month=view.month, base="/reports", errors={}, comment="",
                can_write=False, company=view.company, month_label=r.month_label, **labels())


@bp.route("/reports/{month}/pdf", methods=["GET"])
@signed_in_page
def client_report_pdf(me: SignedIn, month: str):
    return redirect(reports.pdf_link(me.user, me.user.company_id, month))
