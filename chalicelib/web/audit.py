"""監査ログ: the agency admin's whole log and a client admin's own company's, with its CSV.

The same /audit for both: the service scopes a client admin to its company (from the session) and
never shows it the agency's internal entries; other roles get 403.
"""
from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote, urlencode

from chalice import Blueprint, Response

from chalicelib.messages import AUDIT_KINDS, t
from chalicelib.services import audit, companies
from chalicelib.services.auth import SignedIn
from chalicelib.web.forms import submit
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page

bp = Blueprint(__name__)


def _query(name: str) -> str:
    return (bp.current_request.query_params or {}).get(name, "")


def _filters(me: SignedIn) -> audit.AuditFilter:
    return audit.AuditFilter(actor_id=_query("actor_id"), kind=_query("kind"), date_from=_query("date_from"),
                             date_to=_query("date_to"),
                             company_id=_query("company_id") if me.user.is_agency else "")


def _typed(filters: audit.AuditFilter) -> str:
    return urlencode({name: value for name, value in asdict(filters).items() if value})


def _page(me: SignedIn, filters: audit.AuditFilter, *, found=None, status: int = 200, errors: dict | None = None):
    query = _typed(filters)
    following = None
    if found is not None and found.cursor:
        following = "/audit?" + urlencode({**{k: v for k, v in asdict(filters).items() if v}, "after": found.cursor})
    return page("audit/list.html", status=status, filters=filters, found=found, errors=errors or {},
                kinds=AUDIT_KINDS, choices=companies.company_choices(me.user) if me.user.is_agency else [],
                csv_link="/audit.csv" + (f"?{query}" if query else ""), following=following,
                actor_text=audit.actor_text, shows_actor=audit.shows_actor, target_link=audit.target_link, client_view=not me.user.is_agency,
                change_lines=audit.change_lines, company_name=audit.company_name)


@bp.route("/audit", methods=["GET"])
@signed_in_page
def audit_log(me: SignedIn):
    filters = _filters(me)
    return submit(lambda: audit.entries(me.user, filters, after=_query("after") or None),
                  done=lambda found: _page(me, filters, found=found),
                  refuse=lambda status, errors: _page(me, filters, status=status, errors=errors), conflict=False)


@bp.route("/audit.csv", methods=["GET"])
@signed_in_page
def audit_csv(me: SignedIn):
    filters = _filters(me)
    name = t("audit.csv_filename")

    def download(body: bytes) -> Response:
        # A text body: Chalice sends str as UTF-8; the BOM stays its first character.
        return Response(body=body.decode("utf-8"), status_code=200,
                        headers={"Content-Type": "text/csv; charset=utf-8",
                                 "Content-Disposition": f"attachment; filename=\"audit.csv\"; "
                                                        f"filename*=UTF-8''{quote(name)}"})

    recorded = bp.current_request.method != "HEAD"  # a HEAD (a link checker) downloads nothing
    return submit(lambda: audit.audit_csv(me.user, filters, recorded=recorded), done=download,
                  refuse=lambda status, errors: _page(me, filters, status=status, errors=errors), conflict=False)
