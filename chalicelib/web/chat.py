"""チャット通知: the agency admin's destinations (and a look at every company's), a client admin's
own company's; adding, changing and removing one, and テスト送信."""
from __future__ import annotations

from dataclasses import asdict

from chalice import Blueprint

from chalicelib.messages import CHAT_EVENT_LABELS, CHAT_SERVICE_LABELS, CHAT_STATUS_LABELS, t
from chalicelib.services import chat, companies
from chalicelib.services.auth import SignedIn
from chalicelib.web import confirmations
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit, values
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

NOTICES = {"created": "chat.created_notice", "saved": "chat.saved", "deleted": "chat.deleted"}
RECENT = 20  # posts a destination's page lists, newest first


def _query(name: str) -> str:
    return (bp.current_request.query_params or {}).get(name, "")


def _labels(me: SignedIn) -> dict:
    owner = chat.owner_of(me.user)
    return dict(owner=owner, service_labels=CHAT_SERVICE_LABELS, event_labels=CHAT_EVENT_LABELS, status_labels=CHAT_STATUS_LABELS,
                events=chat.allowed_events(owner), agency_owner=chat.AGENCY_OWNER, masked_url=chat.masked_url, company_names=_company_names(me) if owner == chat.AGENCY_OWNER else {})


def _company_names(me: SignedIn) -> dict[str, str]:
    return {c.company_id: c.name for c in companies.company_choices(me.user)}


def _form() -> chat.DestinationForm:
    return chat.DestinationForm(name=field("name"), service=field("service"), url=field("url"), token=field("token"),
                                room_id=field("room_id"), company_id=field("company_id"),
                                events=tuple(values("events")), active=field("active") == "1")


def _list_page(me: SignedIn, *, status: int = 200, form: chat.DestinationForm | None = None,
               errors: dict | None = None):
    listed = chat.listing(me.user)
    owner = chat.owner_of(me.user)
    blank = chat.DestinationForm(events=tuple(e for e in chat.allowed_events(owner) if e != chat.MAIL_FAILED)
                                 if owner != chat.AGENCY_OWNER else (chat.CREATED, chat.COMMENT_CLIENT, chat.MAIL_FAILED))
    notice = NOTICES.get(_query("notice"))
    return page("settings/chat.html", status=status, destinations=listed, form=asdict(form or blank),
                errors=errors or {}, notice=t(notice) if notice else None, **_labels(me))


@bp.route("/settings/chat", methods=["GET"])
@signed_in_page
def chat_list(me: SignedIn):
    return _list_page(me)


@bp.route("/settings/chat", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def chat_create(me: SignedIn):
    form = _form()
    return submit(lambda: chat.create(me.user, form),
                  done=lambda created: _detail_page(me, created.destination_id, status=201, new_secret=created.secret,
                                                    notice=t("chat.created_notice")),
                  refuse=lambda status, errors: _list_page(me, status=status, form=form, errors=errors))


def _detail_page(me: SignedIn, destination_id: str, *, status: int = 200, form: chat.DestinationForm | None = None,
                 errors: dict | None = None, new_secret: str = "", notice: str | None = None,
                 result: chat.Outcome | None = None):
    item = chat.destination(me.user, destination_id)
    if form is None:
        form = chat.DestinationForm(name=item.name, service=item.service, room_id=item.room_id,
                                    company_id=item.company_id or "", events=tuple(item.events),
                                    active=item.active == "1")
    key = NOTICES.get(_query("notice"))
    return page("settings/chat_show.html", status=status, destination=item, form=asdict(form), errors=errors or {},
                new_secret=new_secret, secret_hint=chat.secret_hint(item.secret), result=result,
                notice=notice or (t(key) if key else None), item_events=chat.allowed_events(item.owner), deliveries=chat.recent(item, limit=RECENT),
                asks={"delete": confirmations.delete_chat(item)}, **_labels(me))


@bp.route("/settings/chat/{destination_id}", methods=["GET"])
@signed_in_page
def chat_show(me: SignedIn, destination_id: str):
    return _detail_page(me, destination_id)


@bp.route("/settings/chat/{destination_id}", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def chat_update(me: SignedIn, destination_id: str):
    form = _form()
    return submit(lambda: chat.update(me.user, destination_id, form),
                  done=lambda item: redirect(f"/settings/chat/{item.destination_id}?notice=saved"),
                  refuse=lambda status, errors: _detail_page(me, destination_id, status=status, form=form,
                                                             errors=errors))


@bp.route("/settings/chat/{destination_id}/test", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def chat_test(me: SignedIn, destination_id: str):
    """テスト送信: posts at once and shows what the service answered."""
    return _detail_page(me, destination_id, result=chat.send_test(me.user, destination_id))


@bp.route("/settings/chat/{destination_id}/delete", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def chat_delete(me: SignedIn, destination_id: str):
    """削除: asks first (web/confirmations.py)."""
    if not confirmations.confirmed():
        return confirmations.ask(confirmations.delete_chat(chat.destination(me.user, destination_id)), keep=())
    chat.delete(me.user, destination_id)
    return redirect("/settings/chat?notice=deleted")
