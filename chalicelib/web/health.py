"""GET /health for uptime monitors and load checks: anonymous, one DynamoDB read, no details."""
from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.services import health

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def health_check() -> Response:
    ok = health.table_reachable()
    # Only a status word: versions, settings or error texts would tell a stranger too much.
    return Response(body=json.dumps({"status": "ok" if ok else "unavailable"}), status_code=200 if ok else 503,
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"})
