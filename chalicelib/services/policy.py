"""May this actor do this to this request, in the state it is in now?

``permissions`` answers role x action and the tenant rule; this module adds what the object's
state allows (after Zammad's ticket policy and Discourse's guardian): no comment on a 取り下げ
request, no 依頼関係者 change on a closed one, an estimate is edited only while the request is
open and uncharged, answered only while it waits for an answer and nothing was charged. Pages ask ``may``
to decide what to show (``for_request`` gives a template every answer at once); services call
``require`` before they change anything, so the API refuses exactly what the pages hide.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.clock import utcnow
from chalicelib.errors import Forbidden, Invalid
from chalicelib.messages import t
from chalicelib.models.points import PENDING
from chalicelib.models.users import CLIENT_ADMIN
from chalicelib.services import permissions, workflow

COMMENT = "comment"                  # コメント追加
MANAGE = "manage"                    # the agency's panel: status, 担当者, 公開希望日, 社内メモ
PARTICIPANTS = "participants"        # 依頼関係者
WITHDRAW = "withdraw"                # 取り下げ
CONFIRM = "confirm"                  # 完了確認 (確認待ち -> 完了)
REOPEN = "reopen"                    # 再開 (完了 / 取り下げ -> open again)
ESTIMATE_EDIT = "estimate.edit"      # 見積の作成・修正
ESTIMATE_ANSWER = "estimate.answer"  # 承認 / 差し戻し

_PERMISSION = {
    COMMENT: permissions.REQUEST_COMMENT,
    MANAGE: permissions.REQUEST_MANAGE,
    PARTICIPANTS: permissions.REQUEST_PARTICIPANTS,
    WITHDRAW: permissions.REQUEST_WITHDRAW,
    CONFIRM: permissions.REQUEST_CONFIRM,
    REOPEN: permissions.REQUEST_REOPEN,
    ESTIMATE_EDIT: permissions.ESTIMATE_EDIT,
    ESTIMATE_ANSWER: permissions.ESTIMATE_ANSWER,
}


def reopen_deadline(request) -> datetime | None:
    """Until when the client may reopen ``request`` (完了); None when it may not at all (not
    完了, or completed before the period was recorded)."""
    if request.status != workflow.DONE or request.completed_at is None or request.reopen_days is None:
        return None
    return request.completed_at + timedelta(days=int(request.reopen_days))


def _client_may_reopen(actor, request) -> bool:
    """A client reopens only what it asked for, or anything of its company as its admin."""
    return actor.role == CLIENT_ADMIN or actor.user_id.lower() == request.requester_id.lower()


def _refusal(action: str, request, *, estimate, charged: bool, actor=None) -> dict[str, str] | None:
    """The field errors with which the request's state refuses ``action``; None when it allows it."""
    status = request.status
    if action == REOPEN:
        side = workflow.AGENCY if actor is None or actor.is_agency else workflow.CLIENT
        target = workflow.REOPENED_TO.get(status)
        if target is None or not workflow.allowed(side, status, target):
            return {"status": t("request.status_denied")}
        if side == workflow.CLIENT:
            deadline = reopen_deadline(request)
            if deadline is None or utcnow() >= deadline:
                return {"status": t("policy.reopen_expired", days=int(request.reopen_days or 0))
                        if deadline is not None else t("policy.reopen_agency_only")}
        return None
    if action == COMMENT and status == workflow.WITHDRAWN:
        return {"_form": t("policy.comment_withdrawn")}
    if action == PARTICIPANTS and status in workflow.CLOSED:
        return {"participant_ids": t("policy.participants_closed")}
    # 取り下げ and 完了確認 are status changes: the client's transitions in workflow decide.
    if action == WITHDRAW and not workflow.allowed(workflow.CLIENT, status, workflow.WITHDRAWN):
        return {"status": t("request.status_denied")}
    if action == CONFIRM and not workflow.allowed(workflow.CLIENT, status, workflow.DONE):
        return {"status": t("request.status_denied")}
    if action == ESTIMATE_EDIT and (status in workflow.CLOSED or charged):
        return {"_form": t("estimate.closed")}
    if action == ESTIMATE_ANSWER:
        if estimate is None or estimate.state != PENDING:
            return {"_form": t("estimate.answered")}
        if charged:
            return {"_form": t("policy.estimate_charged")}
    return None


def may(actor, action: str, request, *, estimate=None, charged: bool = False) -> bool:
    """Whether ``actor`` may do ``action`` to ``request`` now (``estimate`` and ``charged``: its
    見積 and whether its points were consumed, for the estimate actions)."""
    if not actor.is_agency and request.company_id != actor.company_id:
        return False
    if not permissions.can(actor, _PERMISSION[action]):
        return False
    if _refusal(action, request, estimate=estimate, charged=charged, actor=actor) is not None:
        return False
    return action != REOPEN or actor.is_agency or _client_may_reopen(actor, request)


def require(actor, action: str, request, *, estimate=None, charged: bool = False) -> None:
    """Raise unless ``may``: NotFound for another company's request, Forbidden for a role without
    the action (``permissions.authorize``), Invalid with the reason when the state refuses it."""
    permissions.authorize(actor, _PERMISSION[action], company_id=request.company_id)
    if action == REOPEN and not actor.is_agency and not _client_may_reopen(actor, request):
        raise Forbidden()
    errors = _refusal(action, request, estimate=estimate, charged=charged, actor=actor)
    if errors:
        raise Invalid(errors)


def sees_shared_revision(actor) -> bool:
    """Whether ``actor`` reads and sends back the client-visible revision: clients do, so 社内メモ
    neither show in it nor make their saves conflict; the agency sees and is checked against every save."""
    return not actor.is_agency


def revision(actor, request) -> int:
    """The revision of ``request`` that ``actor`` sees (JSON, hidden fields) and sends back."""
    return request.client_revision if sees_shared_revision(actor) else int(request.revision)


def shown_login_id(viewer, user_id: str | None, *, of_agency: bool) -> str | None:
    """A login ID as ``viewer`` may see it, None when it may not.

    A client never sees a login ID of the agency's people: half of what signing in as them needs,
    and what a lockout or a guess would aim at; names say who it was. The agency administers the
    clients' accounts, and a client its own company's (依頼関係者 are chosen by them), so those show.
    """
    if user_id is None or of_agency and not viewer.is_agency:
        return None
    return user_id


@dataclass(frozen=True)
class RequestAllows:
    """Every answer for one request, for its page: ``can.comment``, ``can.withdraw`` ..."""
    comment: bool
    manage: bool
    participants: bool
    withdraw: bool
    confirm: bool
    reopen: bool
    edit_estimate: bool
    answer_estimate: bool


def for_request(actor, request, *, estimate=None, charged: bool = False) -> RequestAllows:
    def ask(action: str) -> bool:
        return may(actor, action, request, estimate=estimate, charged=charged)

    return RequestAllows(comment=ask(COMMENT), manage=ask(MANAGE), participants=ask(PARTICIPANTS),
                         withdraw=ask(WITHDRAW), confirm=ask(CONFIRM), reopen=ask(REOPEN), edit_estimate=ask(ESTIMATE_EDIT),
                         answer_estimate=ask(ESTIMATE_ANSWER))
