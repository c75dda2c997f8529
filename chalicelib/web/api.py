"""The JSON API under /api/: the same data and actions as the pages, with the same rules.

Authentication is the session cookie; state-changing calls send the session's CSRF token in the
X-CSRF-Token header (GET /api/session returns it). Errors are JSON: {"message", "errors"?}.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Callable

from chalice import Blueprint, Response

from chalicelib import templating
from chalicelib.messages import CHANGE_LABELS, t
from chalicelib.services import agency, attachments, listings, policy, requests, urgency, workflow
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound, ServiceUnavailable
from chalicelib.web import context
from chalicelib.web.forms import MAX_FORM_BYTES
from chalicelib.web.openapi import DOCUMENT

bp = Blueprint(__name__)

JSON = "application/json"
API_MESSAGES = {
    401: t("api.unauthenticated"),
    403: t("api.forbidden"),
    404: t("api.not_found"),
    409: t("conflict.changed"),
    503: t("service.unavailable"),
}


def _json(body: object, status: int = 200) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8"})


def _error(status: int, errors: dict | None = None, message: str | None = None) -> Response:
    body: dict = {"message": message or API_MESSAGES.get(status, t("form.bad_request"))}
    if errors:
        body["errors"] = errors
    return _json(body, status)


def api(view: Callable) -> Callable:
    """A signed-in API call: receives ``me``; domain errors become JSON errors."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        me = context.signed_in()
        if me is None:
            return _error(401)
        if me.user.must_change_password:
            return _error(403, message=t("password.must_change"))
        if me.session.enrol_required and not me.user.two_factor:
            return _error(403, message=t("second_factor.enrol_required"))
        try:
            return view(*args, me=me, **kwargs)
        except Invalid as error:
            return _error(400, error.errors, t("form.check"))
        except NotFound:
            return _error(404)
        except Forbidden:
            return _error(403)
        except Conflict:
            return _error(409)
        except ServiceUnavailable:
            return _error(503)
        except BadBody as error:
            return _error(400, message=str(error))
    return wrapper


class BadBody(Exception):
    """The JSON body is not an object of the allowed fields and types."""


# No body of this API nests deeper than an object holding a list; json.loads recurses once per
# level and gives up with RecursionError (not ValueError) around a thousand.
JSON_DEPTH_MAX = 8
# Integers a body may carry (revisions): what JSON numbers hold exactly, and DynamoDB stores.
JSON_INT_MAX = 2 ** 53
# A string (to its end, even unclosed, so a scan never backtracks: linear in the body) or a bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def _nesting(text: str) -> int:
    """How deep ``text``'s arrays and objects nest, outside its strings (the most it reaches)."""
    depth = deepest = 0
    for token in _JSON_TOKEN.findall(text):
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth -= 1
    return deepest


def _body(allowed: dict[str, type | tuple]) -> dict:
    """The request's JSON object, with only ``allowed`` fields, each of its type (whitelist)."""
    raw = context.request().raw_body or b"{}"
    if len(raw) > MAX_FORM_BYTES:  # the same bound as the pages' forms; API Gateway's own is 10 MB
        raise BadBody(t("form.too_large"))
    try:
        text = raw.decode("utf-8")
        if _nesting(text) > JSON_DEPTH_MAX:  # before the parser can recurse that deep
            raise ValueError("nested too deep")
        body = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise BadBody(t("form.bad_request")) from None
    if not isinstance(body, dict):
        raise BadBody(t("form.bad_request"))
    unknown = set(body) - set(allowed)
    if unknown:
        raise BadBody(t("api.unknown_fields", names=", ".join(sorted(unknown))))
    for name, value in body.items():
        kind = allowed[name]
        if kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadBody(t("api.not_string_list", name=name))
        elif not isinstance(value, kind) or kind is int and (isinstance(value, bool) or abs(value) > JSON_INT_MAX):
            # bool is an int to Python: {"revision": true} is not revision 1.
            raise BadBody(t("api.bad_type", name=name))
    return body


def request_json(request, viewer) -> dict:
    """A request as ``viewer`` may see it: the revision it sees and sends back, no login ID of the
    other side it may not know (services.policy decides both)."""
    return {
        "id": request.request_id,
        "number": request.number,
        "company_id": request.company_id,
        "company_name": request.company_name,
        "title": request.title,
        "body": request.body,
        "status": request.status,
        "status_label": workflow.LABELS[request.status],
        "due_date": request.due_date,
        "requester_id": request.requester_id,
        "requester_name": request.requester_name,
        "participant_ids": list(request.participant_ids),
        "assignee_id": policy.shown_login_id(viewer, request.assignee_id, of_agency=True),
        "assignee_name": request.assignee_name,
        "created_at": request.created_at.isoformat(),
        "last_activity_at": request.last_activity_at.isoformat(),
        "awaiting_agency": request.awaiting_agency,
        "revision": policy.revision(viewer, request),
    }


def entry_json(entry, viewer) -> dict:
    return {
        "id": entry.entry_id,
        "kind": entry.entry_kind,
        "side": entry.side,
        "author_id": policy.shown_login_id(viewer, entry.author_id, of_agency=entry.side == "agency"),
        "author_name": entry.author_name,
        "at": entry.at.isoformat(),
        "body": entry.body,
        "field": entry.field,
        "old": entry.old_value,
        "new": entry.new_value,
    }


@bp.route("/api/openapi.json", methods=["GET"])
def openapi():
    return _json(DOCUMENT)


@bp.route("/api/session", methods=["GET"])
@api
def session(me):
    user = me.user
    return _json({"user": {"id": user.user_id, "name": user.name, "role": user.role, "company_id": user.company_id},
                  "csrf_token": me.session.csrf_token})


@bp.route("/api/urgency", methods=["GET"])
@api
def urgency_preview(me):
    """The lead time and 特急料金 multiplier for filing today with 公開希望日 ``due`` (the live hint on
    新規依頼): the server does the business-day arithmetic, so page and estimate cannot disagree."""
    shown = urgency.preview(me.user, (bp.current_request.query_params or {}).get("due", ""))
    result = shown.urgency
    return _json({"due": shown.due.isoformat(), "lead_days": result.lead_days,
                  "multiplier": urgency.format_multiplier(result.multiplier), "label": result.label,
                  "message": urgency.hint(result)})


@bp.route("/api/requests", methods=["GET"])
@api
def list_requests(me):
    query = bp.current_request.query_params or {}
    after = query.get("after") or None
    if me.user.is_agency:
        filters = listings.InboxFilter(company_id=query.get("company", ""), status=query.get("status", "open"),
                                       assignee_id=query.get("assignee", ""), keyword=query.get("q", "")[:100])
        listed, cursor = listings.inbox(me.user, filters, after=after)
    elif query.get("q", "").strip():
        listed, cursor = listings.client_search(me.user, query["q"][:100], after=after)
    elif query.get("status"):
        listed, cursor = listings.client_list(me.user, query["status"], after=after)
    else:
        listed = [item for _, group in listings.client_dashboard(me.user) for item in group]
        cursor = None
    return _json({"requests": [{**request_json(item.request, me.user), "changed": item.changed} for item in listed],
                  "next": cursor})


@bp.route("/api/requests", methods=["POST"], content_types=[JSON])
@api
def create_request(me):
    body = _body({"title": str, "body": str, "due_date": str, "participant_ids": list, "upload_ids": list,
                  "submission_id": str})
    created = requests.create_request(me.user, requests.RequestForm(
        title=body.get("title", ""), body=body.get("body", ""), due_date=body.get("due_date", ""),
        participant_ids=body.get("participant_ids", []), upload_ids=body.get("upload_ids", []),
        submission_id=body.get("submission_id", "")))
    return _json({"request": request_json(created, me.user)}, 201)


@bp.route("/api/requests/{request_id}", methods=["GET"])
@api
def get_request(me, request_id: str):
    view = listings.view_request(me.user, request_id)
    return _json({"request": request_json(view.request, me.user), "thread": [entry_json(e, me.user) for e in view.entries]})


@bp.route("/api/requests/{request_id}", methods=["PATCH"], content_types=[JSON])
@api
def change_request(me, request_id: str):
    body = _body({"revision": int, "status": str, "assignee_id": str, "due_date": str, "participant_ids": list,
                  "memo": str})
    if "revision" not in body:
        raise Invalid({"revision": t("required")})
    changes = requests.RequestChanges(**{name: body[name] for name in
                                         ("status", "assignee_id", "due_date", "participant_ids", "memo") if name in body})
    updated = requests.update_request(me.user, request_id, changes, revision=body["revision"])
    return _json({"request": request_json(updated, me.user)})


@bp.route("/api/uploads", methods=["POST"], content_types=[JSON])
@api
def start_upload(me):
    """A presigned POST for one file; the browser then uploads it straight to S3."""
    body = _body({"name": str, "size": int, "content_type": str, "request_id": str, "kind": str, "notes": list,
                  "annotations": str})
    slot = attachments.start_upload(me.user, name=body.get("name", ""), size=body.get("size", 0),
                                    content_type=body.get("content_type", ""), request_id=body.get("request_id") or None,
                                    kind=body.get("kind", "file"), notes=body.get("notes"),
                                    annotations=body.get("annotations"))
    return _json({"upload_id": slot.upload_id, "url": slot.url, "fields": slot.fields,
                  "max_bytes": slot.max_bytes}, 201)


@bp.route("/api/requests/{request_id}/comments", methods=["POST"], content_types=[JSON])
@api
def add_comment(me, request_id: str):
    body = _body({"body": str, "upload_ids": list, "submission_id": str})
    try:
        entry = requests.add_comment(me.user, request_id, body.get("body", ""), upload_ids=body.get("upload_ids", []),
                                     submission_id=body.get("submission_id", ""))
    except Conflict:  # nothing stored: sending the same comment again is all it takes
        return _error(409, message=t("comment.busy"))
    # The rendered line lets the page insert it as the server would have drawn it (escaped).
    html = templating.render("requests/_entry.html", entry=entry, agency=agency.settings(), me=me,
                             change_labels=CHANGE_LABELS, files=entry.files, request_id=request_id,
                             is_inline=attachments.is_inline)
    return _json({"entry": entry_json(entry, me.user), "html": html}, 201)
