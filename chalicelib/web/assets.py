"""Static files (CSS, JS, icons) under content-hashed URLs with long cache lifetimes."""
from __future__ import annotations

import re

from chalice import Blueprint, Response

from chalicelib import templating

bp = Blueprint(__name__)

_FOLDER = re.compile(r"^[a-z0-9_-]+$")
_HASHED_NAME = re.compile(r"^(?P<stem>[A-Za-z0-9_-]+)\.(?P<digest>[0-9a-f]{12})\.(?P<ext>css|js|svg)$")
_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"}


@bp.route("/static/{folder}/{name}", methods=["GET"])
def static_file(folder: str, name: str) -> Response:
    match = _HASHED_NAME.match(name)
    if not _FOLDER.match(folder) or not match:
        return Response(body="Not Found", status_code=404, headers={"Content-Type": "text/plain"})
    relative = f"{folder}/{match['stem']}.{match['ext']}"
    path = templating.STATIC_DIR / relative
    if not path.is_file():
        return Response(body="Not Found", status_code=404, headers={"Content-Type": "text/plain"})
    # A URL whose hash matches is immutable; an outdated hash still gets the file, uncached.
    fresh = match["digest"] == templating.static_digest(relative)
    return Response(
        body=templating.static_text(relative),
        status_code=200,
        headers={
            "Content-Type": _TYPES[match["ext"]],
            "Cache-Control": "public, max-age=31536000, immutable" if fresh else "no-cache",
        },
    )
