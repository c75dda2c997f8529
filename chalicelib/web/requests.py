"""新規依頼 (manual section 2), 依頼の進行画面 and コメント入力画面 (section 3), and the lists."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import messages
from chalicelib.adapters import config
from chalicelib.messages import CHANGE_LABELS, t
from chalicelib.services import (attachments, estimates, listings, notifications, permissions, policy, requests, statements,
                                 submissions, urgency, validation, workflow)
from chalicelib.services.auth import SignedIn
from chalicelib.web import confirmations, estimate_panel
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, form, submit, values
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

# ?notice=<key> after a redirect, and the message it shows.
REQUEST_NOTICES = {key: f"request.{key}" for key in ("created", "commented", "updated", "memo_added", "withdrawn",
                                                     "confirmed", "reopened", "nothing_changed")} | {
    "mail_resent": "mail.resent", "estimate_saved": "estimate.saved", "estimate_approved": "estimate.approved",
    "estimate_returned": "estimate.returned"}


def _query(name: str) -> str:
    return (bp.current_request.query_params or {}).get(name, "")


def _busy(status: int, errors: dict, key: str) -> dict:
    """A 409 on a form that only adds (a new request, a comment) is a write DynamoDB cancelled, not
    someone else's edit: say that sending again is all it takes, not to reopen the page."""
    return {**errors, "_form": t(key)} if status == 409 else errors


def _new_form(me: SignedIn, request_form: requests.RequestForm, errors: dict, status: int = 200):
    hint = None if "due_date" in errors else urgency.form_hint(me.user, request_form.due_date)
    # A refused form lists the files and 画面メモ already uploaded and sends their ids again.
    kept = attachments.kept_uploads(me.user, request_form.upload_ids, request_id=None)
    return page("requests/new.html", status=status, form=request_form, errors=errors, urgency_hint=hint,
                choices=requests.participant_choices(me.user), max_bytes=config.upload_max_bytes(),
                kept_uploads=kept)


@bp.route("/requests/new", methods=["GET"])
@signed_in_page
def new_request_form(me: SignedIn):
    permissions.authorize(me.user, permissions.REQUEST_CREATE, company_id=me.user.company_id)
    return _new_form(me, requests.RequestForm(submission_id=submissions.new_key()), {})


@bp.route("/requests", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def create_request(me: SignedIn):
    request_form = requests.RequestForm(title=field("title", strip=False), body=field("body", strip=False),
                                        due_date=field("due_date"), participant_ids=values("participant_ids"),
                                        upload_ids=values("upload_ids"), submission_id=field("submission_id"))
    # On 503 nothing typed is lost, and the same key comes back: sending again cannot file it twice.
    return submit(lambda: requests.create_request(me.user, request_form),
                  done=lambda created: redirect(f"/requests/{created.request_id}?notice=created"),
                  refuse=lambda status, errors: _new_form(me, request_form, _busy(status, errors, "request.busy"),
                                                          status=status),
                  unavailable=True)


def _show(me: SignedIn, request_id: str, *, status: int = 200, errors: dict | None = None,
          comment: str = "", typed: dict | None = None):
    view = listings.view_request(me.user, request_id)
    side = requests.side_of(me.user)
    can_manage = policy.may(me.user, policy.MANAGE, view.request)
    notice_key = _query("notice")
    can = policy.for_request(me.user, view.request, estimate=view.estimate, charged=view.charged)
    panel = estimate_panel.context(me, view, typed or {})
    # The questions 取り下げる and 承認 ask in their <dialog> (the same as the page without JS).
    asks = {"withdraw": confirmations.withdraw(view.request) if can.withdraw else None,
            "approve": confirmations.approve(view.request, panel["estimate"], panel["points_summary"])
            if can.answer_estimate and panel["estimate"] is not None else None}
    return page(
        "requests/show.html", status=status, view=view, request=view.request, errors=errors or {},
        revision=policy.revision(me.user, view.request),
        submission_id=submissions.new_key(),
        notice=t(REQUEST_NOTICES[notice_key]) if notice_key in REQUEST_NOTICES else None,
        labels=workflow.LABELS, change_labels=CHANGE_LABELS, comment=comment, typed=typed or {},
        next_statuses=workflow.next_statuses(side, view.request.status),
        can=can, asks=asks, reopen_until=policy.reopen_deadline(view.request), W=workflow,
        mail=notifications.of_request(me.user, view.request) if can_manage else [], mail_labels=messages,
        staff=requests.staff_choices() if me.user.is_agency else [],
        is_inline=attachments.is_inline, max_bytes=config.upload_max_bytes(),
        member_choices=[u for u in requests.participant_choices(me.user) if u.user_id != view.request.requester_id]
        if not me.user.is_agency else [],
        **panel,
    )


@bp.route("/requests/{request_id}", methods=["GET"])
@signed_in_page
def show_request(me: SignedIn, request_id: str):
    return _show(me, request_id)


@bp.route("/requests/{request_id}/comment", methods=["GET"])
@signed_in_page
def comment_form(me: SignedIn, request_id: str):
    view = listings.view_request(me.user, request_id)
    return page("requests/comment.html", request=view.request, comment="", errors={}, submission_id=submissions.new_key(),
                max_bytes=config.upload_max_bytes())


@bp.route("/requests/{request_id}/comments", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def add_comment(me: SignedIn, request_id: str):
    body, key, upload_ids = field("body", strip=False), field("submission_id"), values("upload_ids")

    def refuse(status: int, errors: dict):
        view = listings.view_request(me.user, request_id)
        kept = attachments.kept_uploads(me.user, upload_ids, request_id=view.request.request_id)
        return page("requests/comment.html", status=status, request=view.request, comment=body,
                    errors=_busy(status, errors, "comment.busy"), submission_id=key,
                    max_bytes=config.upload_max_bytes(), kept_uploads=kept)

    return submit(lambda: requests.add_comment(me.user, request_id, body, upload_ids=upload_ids, submission_id=key),
                  done=lambda entry: redirect(f"/requests/{request_id}?notice=commented#entry-{entry.entry_id}"),
                  refuse=refuse, unavailable=True)


def _revision() -> int:
    """The revision the form was drawn at; -1 (a conflict, never a match) when it is not a number."""
    return validation.whole_number(field("revision"), -1)


def _save(me: SignedIn, request_id: str, changes, notice: str):
    """Run one change (``changes`` is RequestChanges, or a service taking ``revision``)."""
    revision = _revision()

    def run():
        if isinstance(changes, requests.RequestChanges):
            return requests.update_request(me.user, request_id, changes, revision=revision)
        return changes(me.user, request_id, revision=revision)

    def done(updated):
        shown = notice
        if policy.revision(me.user, updated) == revision:  # update_request saved nothing
            shown = "nothing_changed"
        elif notice == "updated" and not updated.changed_fields:
            shown = "memo_added"  # the memo was the only thing saved
        return redirect(f"/requests/{request_id}?notice={shown}")

    return submit(run, done=done, refuse=lambda status, errors: _refused(me, request_id, status, errors))


def _refused(me: SignedIn, request_id: str, status: int, errors: dict):
    """The progress screen again, with the refusal and what was typed."""
    return _show(me, request_id, status=status, errors=errors, typed=dict(form()))


@bp.route("/requests/{request_id}", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def update_request(me: SignedIn, request_id: str):
    """The agency's panel: status, 担当者, 公開希望日 and a 社内メモ, saved together."""
    fields = form()
    changes = requests.RequestChanges(
        status=fields["status"] if fields.get("status") else requests.UNCHANGED,
        assignee_id=fields.get("assignee_id", requests.UNCHANGED),
        due_date=fields.get("due_date", requests.UNCHANGED),
        memo=field("memo", strip=False),
    )
    return _save(me, request_id, changes, "updated")


@bp.route("/requests/{request_id}/participants", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def update_participants(me: SignedIn, request_id: str):
    changes = requests.RequestChanges(participant_ids=values("participant_ids"))
    return _save(me, request_id, changes, "updated")


@bp.route("/requests/{request_id}/withdraw", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def withdraw(me: SignedIn, request_id: str):
    """取り下げ: final, so it asks first (web/confirmations.py)."""
    if not confirmations.confirmed():
        view = listings.view_request(me.user, request_id)
        if policy.may(me.user, policy.WITHDRAW, view.request):
            return confirmations.ask(confirmations.withdraw(view.request), keep=("revision",))
    return _save(me, request_id, requests.withdraw_request, "withdrawn")


@bp.route("/requests/{request_id}/confirm", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def confirm(me: SignedIn, request_id: str):
    return _save(me, request_id, requests.confirm_request, "confirmed")


@bp.route("/requests/{request_id}/reopen", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def reopen(me: SignedIn, request_id: str):
    """再開: a 完了 or 取り下げ request comes back (services.requests.reopen_request)."""
    return _save(me, request_id, requests.reopen_request, "reopened")


def _estimate_version() -> int:
    return validation.whole_number(field("estimate_version"), -1)


def _estimate_change(me: SignedIn, request_id: str, change, notice: str):
    return submit(change, done=lambda _: redirect(f"/requests/{request_id}?notice={notice}#estimate-title"),
                  refuse=lambda status, errors: _refused(me, request_id, status, errors))


@bp.route("/requests/{request_id}/estimate", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def save_estimate(me: SignedIn, request_id: str):
    """見積 by the agency: items from the ポイント表 or free-form, the urgency multiplier applied."""
    rows = estimate_panel.posted_rows()
    return _estimate_change(me, request_id, lambda: estimates.save_estimate(me.user, request_id, rows,
                                                                         version=_estimate_version()),
                            "estimate_saved")


@bp.route("/requests/{request_id}/estimate/approve", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def approve_estimate(me: SignedIn, request_id: str):
    """承認: it spends points at 完了, so it asks first, saying how many (web/confirmations.py).
    Only for the estimate the form was drawn with: a stale one is refused as before."""
    if not confirmations.confirmed():
        view = listings.view_request(me.user, request_id)
        allowed = policy.may(me.user, policy.ESTIMATE_ANSWER, view.request, estimate=view.estimate, charged=view.charged)
        if allowed and view.estimate is not None and int(view.estimate.version) == _estimate_version():
            summary = statements.summary(me.user, view.request.company_id)
            return confirmations.ask(confirmations.approve(view.request, view.estimate, summary),
                                     keep=("estimate_version",))
    return _estimate_change(me, request_id, lambda: estimates.approve_estimate(me.user, request_id,
                                                                            version=_estimate_version()),
                            "estimate_approved")


@bp.route("/requests/{request_id}/estimate/return", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def return_estimate(me: SignedIn, request_id: str):
    reason = field("reason", strip=False)
    return _estimate_change(me, request_id, lambda: estimates.return_estimate(me.user, request_id,
                                                                           version=_estimate_version(),
                                                                           reason=reason),
                            "estimate_returned")


@bp.route("/requests/{request_id}/mail/{event_id}/{recipient_id}/resend", methods=["POST"],
          content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def resend_mail(me: SignedIn, request_id: str, event_id: str, recipient_id: str):
    """再送: a failed or skipped notification goes back into the outbox."""
    # A notification that cannot be sent again is a state conflict, not a typing error: 409.
    return submit(lambda: notifications.resend(me.user, request_id, event_id, recipient_id),
                  done=lambda _: redirect(f"/requests/{request_id}?notice=mail_resent#mail-title"),
                  refuse=lambda status, errors: _show(me, request_id, status=status, errors=errors),
                  conflict=False, invalid_status=409)


@bp.route("/requests/{request_id}/files/{attachment_id}", methods=["GET"])
@signed_in_page
def download(me: SignedIn, request_id: str, attachment_id: str):
    """After the permission check, a short-lived S3 link that downloads the file (never renders it)."""
    return redirect(attachments.download_url(me.user, request_id, attachment_id))


@bp.route("/requests/{request_id}/files/{attachment_id}/preview", methods=["GET"])
@signed_in_page
def preview(me: SignedIn, request_id: str, attachment_id: str):
    """Images (PNG, JPEG, GIF, WebP) only: the thumbnail in the thread. Anything else is 404."""
    return redirect(attachments.download_url(me.user, request_id, attachment_id, inline=True))


@bp.route("/requests", methods=["GET"])
@signed_in_page
def request_list(me: SignedIn):
    """One status of the company's requests (e.g. 完了), a page at a time; with a keyword (``q``),
    the company's requests of every status that hold it."""
    if me.user.is_agency:
        return redirect("/")
    keyword = _query("q")[:100]
    if keyword.strip():
        listed, cursor = listings.client_search(me.user, keyword, after=_query("after") or None)
        return page("requests/list.html", listed=listed, keyword=keyword, shown_status=None, cursor=cursor,
                    labels=workflow.LABELS, W=workflow)
    status = _query("status") or workflow.DONE
    listed, cursor = listings.client_list(me.user, status, after=_query("after") or None)
    return page("requests/list.html", listed=listed, keyword="", shown_status=status, cursor=cursor,
                labels=workflow.LABELS, W=workflow)
