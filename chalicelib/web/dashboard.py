"""管理画面: the page after login. Clients see their company's requests by status; the agency
sees its inbox across all companies."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.messages import t
from chalicelib.services import companies, listings, permissions, reports, requests, workflow
from chalicelib.services import pointrules as r
from chalicelib.web import points as points_web
from chalicelib.services.auth import SignedIn
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page

bp = Blueprint(__name__)

NOTICES = {"password_changed": "password.changed"}


@bp.route("/", methods=["GET"])
@signed_in_page
def dashboard(me: SignedIn):
    query = bp.current_request.query_params or {}
    notice = NOTICES.get(query.get("notice", ""))
    common = dict(notice=t(notice) if notice else None, labels=workflow.LABELS, W=workflow,
                  can=lambda action: permissions.can(me.user, action), P=permissions)
    if not me.user.is_agency:
        home = listings.client_home(me.user)
        return page("dashboard/index.html", groups=home.groups, awaited=home.awaited, L=listings,
                    summary=home.summary, ledger=home.ledger, **points_web.labels(), **common)
    filters = listings.InboxFilter(company_id=query.get("company", ""), status=query.get("status", "open"),
                                   assignee_id=query.get("assignee", ""), keyword=query.get("q", "")[:100])
    listed, cursor = listings.inbox(me.user, filters, after=query.get("after") or None)
    company_list = companies.company_choices(me.user)
    # The companies whose 月次保守レポート for last month is still to send (a query kept a minute).
    unsent = reports.unsent_last_month(me.user) if permissions.can(me.user, permissions.REPORT_WRITE) else None
    return page("dashboard/agency.html", listed=listed, cursor=cursor, filters=filters,
                companies=company_list, staff=requests.staff_choices(), unsent_reports=unsent,
                report_month_label=r.month_label(reports.last_month()), **common)
