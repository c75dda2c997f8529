"""One character cannot stop a request's mail (issue 15 item 2), against the emulator.

Threat: a 件名 holding U+2028 (pasteable into an ordinary input), U+0085, a lone CR or VT passed
the single-line check, was stored, and made Python's email library refuse every later mail about
the request: retried, then failed for good, so nobody heard of the request again. Each value of
the shared hostile corpus is filed as a 件名 through the page: refused at the field with the text
kept, or stored cleaned and its mail delivered. Titles and names stored before the cleaner (written
straight into the table here, as old data) still get their mail. A mail that cannot be prepared
at all is retried and then reported, never dropped silently.
"""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from markupsafe import escape

from chalicelib.models.agency import AgencySettings
from chalicelib.models.notifications import FAILED, PENDING, SENT
from chalicelib.models.notifications import of_request as mail_of
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN, User
from chalicelib.services import notifications, requests
from chalicelib.services import validation as v
from chalicelib.services.requests import TITLE_MAX
from localdev import mailbox
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user
from tests.support.hostile import JSON_ONLY, VALUES
from tests.support.mailbox import mail_to

pytestmark = pytest.mark.usefixtures("no_faults")


@pytest.fixture
def people(aws):
    tag = uuid.uuid4().hex[:6]
    company = make_company(f"株式会社ミナト{tag}")
    return {"company": company,
            "requester": make_client(company, role=CLIENT_ADMIN, name="依頼 花子"),
            "participant": make_client(company, name="関係 次郎"),
            "staff": make_user(role=AGENCY_STAFF, name="担当 一郎", mail_unassigned=False)}


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# A page can only send what UTF-8 encodes; the API also takes JSON escapes such as a lone "\ud800".
PAGE_VALUES = [(label, value) for label, value in VALUES if _encodable(value)]
API_VALUES = VALUES + JSON_ONLY


def _stored_and_mailed(people, request_id: str, title: str) -> None:
    stored = Request.find(request_id)
    assert stored.title == v.one_line(title)
    sent = mail_to(people["participant"].email, subject=f"#{stored.number} {stored.title}")
    assert sent["subject"] == f"【新規依頼】{people['company'].name} #{stored.number} {stored.title}"
    assert {n.status for n in mail_of(request_id)[1]} == {SENT}


@pytest.mark.parametrize("label,value", PAGE_VALUES, ids=[label for label, _ in PAGE_VALUES])
def test_a_title_is_refused_at_the_field_with_the_text_kept_or_stored_clean_and_mailed(client, people, label,
                                                                                       value):
    web = signed_in(client, people["requester"])
    web.get("/requests/new")
    title = f"{value} {uuid.uuid4().hex[:6]}"
    response = web.post("/requests", {"title": title, "body": "本文です", "due_date": "",
                                      "participant_ids": people["participant"].user_id})
    page = web.text(response)
    if len(title) > TITLE_MAX:
        assert response.status_code == 400 and str(escape(v.t("too_long", max=TITLE_MAX))) in page, label
        return
    if v.has_line_break(title):
        assert response.status_code == 400, label
        assert str(escape(v.t("request.single_line"))) in page
        # As typed, with CRLF read as LF and the ends trimmed, as the form parser does for every field.
        kept = title.replace("\r\n", "\n").strip()
        assert f'value="{escape(kept)}"' in page, "the typed 件名 is kept in the form"
        return
    if v.contains_markup(v.one_line(title)):
        assert response.status_code == 400 and str(escape(v.t("request.markup"))) in page
        return
    assert response.status_code == 303, label
    _stored_and_mailed(people, response.headers["location"].rsplit("/", 1)[-1].split("?")[0], title)


@pytest.mark.parametrize("label,value", API_VALUES, ids=[label for label, _ in API_VALUES])
def test_the_api_refuses_or_cleans_a_title_the_same_way(client, people, label, value):
    web = signed_in(client, people["requester"])
    title = f"{value} {uuid.uuid4().hex[:6]}"
    response = web.api("POST", "/api/requests", {"title": title, "body": "本文です",
                                                 "participant_ids": [people["participant"].user_id]})
    body = json.loads(response.body)
    if len(title) > TITLE_MAX:
        assert response.status_code == 400 and body["errors"] == {"title": v.t("too_long", max=TITLE_MAX)}, label
        return
    if v.has_line_break(title):
        assert response.status_code == 400 and body["errors"] == {"title": v.t("request.single_line")}, label
        return
    if v.contains_markup(v.one_line(title)):
        assert response.status_code == 400 and body["errors"] == {"title": v.t("request.markup")}
        return
    assert response.status_code == 201, (label, body)
    assert body["request"]["title"] == v.one_line(title)
    _stored_and_mailed(people, body["request"]["id"], title)


@pytest.fixture
def legacy_sender():
    """The agency's sender name as stored before the cleaner; put back afterwards (it is shared)."""
    settings = AgencySettings.load()
    before = settings.mail_sender_name
    settings.mail_sender_name = "制作\u2028サポート\r窓口"
    settings.save()
    yield settings
    settings = AgencySettings.load()
    settings.mail_sender_name = before
    settings.save()


def test_text_stored_before_the_cleaner_still_gets_its_mail(people, legacy_sender):
    request = make_request(people["requester"], title=f"古い件名 {uuid.uuid4().hex[:6]}",
                           participant_ids=[people["participant"].user_id])
    legacy_title = f"トップページ\u2028の文言\r修正\x0b{request.number}"
    Request.find(request.request_id).update(actions=[
        Request.title.set(legacy_title), Request.company_name.set("株式会社\x85ミナト\u202e旧")])
    staff = User.find(people["staff"].user_id)
    staff.update(actions=[User.name.set("担当\u2029一郎\x00")])

    requests.add_comment(staff, request.request_id, "修正しました。ご確認ください。")

    readable = f"【コメント】株式会社 ミナト旧 #{request.number} トップページ の文言 修正 {request.number}"
    sent = mail_to(people["requester"].email, subject=readable)
    assert sent["subject"] == readable
    assert "制作 サポート 窓口" in sent["from"] and "no-reply@" in sent["from"]
    assert "一郎様がコメントしました" in sent["text"] and "修正しました。ご確認ください。" in sent["text"]
    assert mail_to(people["participant"].email, subject=readable)
    assert {n.status for n in mail_of(request.request_id)[1]} == {SENT}


@pytest.fixture
def scheduled(monkeypatch):
    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "scheduled")
    monkeypatch.setenv("IRAI_MAIL_WINDOW_SECONDS", "0")


def test_a_mail_that_cannot_be_prepared_is_retried_then_reported(people, scheduled):
    """Whatever rendering still meets (here: a status no release knows, as old or corrupt data
    would hold), the outbox retries it with its backoff and ends FAILED with the error recorded,
    which the agency's request page shows; no mail is lost silently."""
    request = make_request(people["requester"], title=f"壊れた状態 {uuid.uuid4().hex[:6]}",
                           participant_ids=[people["participant"].user_id])
    Request.find(request.request_id).update(actions=[Request.status.set("no-such-status")])
    before = len(mailbox.messages())
    now = request.created_at
    first = notifications.deliver_request(request.request_id, now=now)
    assert first["retry"] >= 1 and first["sent"] == 0
    for delay in notifications.RETRY_DELAYS:
        now += delay + timedelta(seconds=1)
        notifications.deliver_request(request.request_id, now=now)
    final = mail_of(request.request_id)[1]
    assert final and {(n.status, n.attempts, n.last_error) for n in final} == {
        (FAILED, notifications.MAX_ATTEMPTS, "KeyError")}
    assert len(mailbox.messages()) == before
    assert PENDING not in {n.status for n in mail_of(request.request_id)[1]}
