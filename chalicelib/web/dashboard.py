"""管理画面: the page after login."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.messages import t
from chalicelib.services.auth import SignedIn
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page

bp = Blueprint(__name__)

NOTICES = {"password_changed": "password.changed"}


@bp.route("/", methods=["GET"])
@signed_in_page
def dashboard(me: SignedIn):
    notice = NOTICES.get((bp.current_request.query_params or {}).get("notice", ""))
    return page("dashboard/index.html", notice=t(notice) if notice else None)
