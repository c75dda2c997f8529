"""Refused forms keep their 添付ファイル and 画面メモ (issue 16, item 1).

Promise: after any refused submit of 新規依頼 or コメント (a field error, a conflict, DynamoDB
down), the files already uploaded are still on the form, listed by name and sent with the next
submit, without JavaScript: the page carries their upload ids again. Only the user's own,
still unclaimed slots for that same form come back, so editing the hidden field attaches nothing
of anyone else's and shows no other name.
"""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.clock import today_in_japan
from chalicelib.messages import t
from chalicelib.models.companies import Company
from chalicelib.services import listings
from localdev.emulator import FAULTS
from tests.support.agent import FORM, Agent
from tests.support.factories import PASSWORD, PNG, make_client, make_company, make_request, upload
from tests.support.pages import forms

WRITE = ("dynamodb", "TransactWriteItems")
pytestmark = pytest.mark.usefixtures("no_faults")


@pytest.fixture
def member(aws):
    return make_client(make_company("添付保持の会社"))


@pytest.fixture
def agent(client, member):
    web = Agent(client)
    web.login(member.user_id, PASSWORD)
    return web


def _files(member, request_id=None) -> dict[str, str]:
    """A text file and a 画面メモ uploaded by ``member``, by name."""
    return {
        "タグ入りの原稿.txt": upload(member, "タグ入りの原稿.txt", "<b>太字</b>".encode(), "text/plain",
                                request_id=request_id),
        "画面メモ1.png": upload(member, "画面メモ1.png", PNG, "image/png", request_id=request_id, kind="memo",
                             notes=["ここの文言を変更"]),
    }


def _post(agent, action: str, pairs: list[tuple[str, str]]):
    """POST the fields as a browser does, repeated names (upload_ids) included."""
    response = agent.client.http.post(action, body=urlencode(pairs),
                                      headers=agent._headers({"Content-Type": FORM}))
    agent._remember(response)
    agent.last = response
    return response


def _form(page_response, action: str):
    return next(f for f in forms(page_response.body.decode()) if f.action == action)


def _send_kept(agent, refused, action: str, typed: dict) -> object:
    """Send the refused form as it came back, with ``typed`` replacing what the user corrects."""
    pairs = [(name, typed.get(name, value)) for name, value in _form(refused, action).data()]
    return _post(agent, action, pairs)


def _kept_ids(refused, action: str) -> list[str]:
    return [value for name, value in _form(refused, action).data() if name == "upload_ids"]


def _file_names(member, request_path: str) -> list[str]:
    """The request's own files (not those of its comments)."""
    view = listings.view_request(member, request_path.rsplit("/", 1)[-1])
    return sorted(f.name for f in view.files)


def _new_request(agent, typed: dict, upload_ids: list[str]):
    form = _form(agent.get("/requests/new"), "/requests")
    pairs = [(n, v) for n, v in form.data() if n not in typed] + list(typed.items())
    return _post(agent, "/requests", pairs + [("upload_ids", i) for i in upload_ids])


REFUSALS = {
    "markup in 依頼内容": ({"body": "<script>alert(1)</script>を直してください"}, "body", "request.markup"),
    "a past 公開希望日": ({"due_date": (today_in_japan() - timedelta(days=1)).isoformat()}, "due_date", None),
}


@pytest.mark.parametrize("refusal", list(REFUSALS), ids=list(REFUSALS))
def test_a_refused_new_request_lists_its_files_again_and_files_them_when_sent(agent, member, refusal):
    typed, field, message = REFUSALS[refusal]
    files = _files(member)
    refused = _new_request(agent, {"title": "添付が残る依頼", "body": "本文", **typed}, list(files.values()))
    assert refused.status_code == 400
    page = agent.text(refused)
    if message:
        assert t(message) in page
    assert sorted(_kept_ids(refused, "/requests")) == sorted(files.values())
    for name in files:
        assert name in page
    assert "ピン1個" in page  # the 画面メモ says what it carries
    fixed = {"body": "本文"} if field == "body" else {"due_date": ""}
    created = _send_kept(agent, refused, "/requests", fixed)
    assert created.status_code == 303, agent.text(created)[:400]
    assert _file_names(member, created.headers["location"].split("?")[0]) == sorted(files)


def test_after_dynamodb_was_down_the_kept_form_files_once_with_its_files(agent, member):
    files = _files(member)
    FAULTS.fail(*WRITE, "InternalServerError", status=500)
    refused = _new_request(agent, {"title": "障害中の添付", "body": "本文"}, list(files.values()))
    assert refused.status_code == 503
    assert t("service.unavailable_form") in agent.text(refused)
    assert sorted(_kept_ids(refused, "/requests")) == sorted(files.values())
    FAULTS.clear()
    first = _send_kept(agent, refused, "/requests", {})
    again = _send_kept(agent, refused, "/requests", {})  # the same submission_id: the same request
    assert first.status_code == again.status_code == 303
    path = first.headers["location"].split("?")[0]
    assert again.headers["location"].split("?")[0] == path
    assert _file_names(member, path) == sorted(files)


def test_a_transaction_conflict_answers_409_with_the_files_kept_and_sending_again_files_it(agent, member):
    """DynamoDB cancelling the write for a concurrent transaction, past the app's own retries,
    is a 409 on the form with everything kept, not an error page that loses it."""
    files = _files(member)
    FAULTS.fail(*WRITE, "TransactionConflictException", status=400)
    refused = _new_request(agent, {"title": "競合した依頼", "body": "本文"}, list(files.values()))
    assert refused.status_code == 409, agent.text(refused)[:400]
    page = agent.text(refused)
    assert t("request.busy") in page and 'value="競合した依頼"' in page
    assert sorted(_kept_ids(refused, "/requests")) == sorted(files.values())
    FAULTS.clear()
    created = _send_kept(agent, refused, "/requests", {})
    assert created.status_code == 303
    assert _file_names(member, created.headers["location"].split("?")[0]) == sorted(files)


def _comment_files(member, request_id: str) -> list[str]:
    view = listings.view_request(member, request_id)
    return sorted(f.name for files in view.files_by_entry.values() for f in files)


@pytest.mark.parametrize("fault", [None, "InternalServerError", "TransactionConflictException"])
def test_a_refused_comment_keeps_its_files_and_sends_them_next_time(agent, member, fault):
    created = make_request(member)
    path = f"/requests/{created.request_id}"
    files = _files(member, request_id=created.request_id)
    action = path + "/comments"
    form = _form(agent.get(path + "/comment"), action)
    body = "正しいコメント" if fault else "<img src=x onerror=alert(1)>"
    if fault:
        FAULTS.fail(*WRITE, fault, status=500 if fault == "InternalServerError" else 400)
    refused = _post(agent, action, [(n, v) for n, v in form.data() if n != "body"] + [("body", body)]
                    + [("upload_ids", i) for i in files.values()])
    assert refused.status_code == {None: 400, "InternalServerError": 503, "TransactionConflictException": 409}[fault]
    page = agent.text(refused)
    for name in files:
        assert name in page
    assert sorted(_kept_ids(refused, action)) == sorted(files.values())
    FAULTS.clear()
    sent = _send_kept(agent, refused, action, {"body": "正しいコメント"})
    assert sent.status_code == 303, agent.text(sent)[:400]
    assert _comment_files(member, created.request_id) == sorted(files)


def test_nobody_can_attach_or_read_the_name_of_someone_elses_upload_through_the_hidden_field(agent, member):
    """Threat: an upload id copied or guessed into the hidden upload_ids field, to attach another
    user's file to one's own request, or to have the refused form print that file's name. Only the
    user's own slot for this very form, not yet used, comes back; the others are refused."""
    colleague = make_client(Company.find(member.company_id))
    stranger = make_client(make_company("よその会社"))
    theirs = upload(colleague, "同僚の見積.pdf", b"%PDF-1", "application/pdf")
    foreign = upload(stranger, "よその契約書.pdf", b"%PDF-1", "application/pdf")
    other_request = make_request(member)
    elsewhere = upload(member, "別の依頼のコメント用.txt", b"x", "text/plain", request_id=other_request.request_id)
    used = upload(member, "もう添付した.txt", b"x", "text/plain")
    make_request(member, upload_ids=[used])
    mine = upload(member, "自分の資料.txt", b"x", "text/plain")

    sneaked = [theirs, foreign, elsewhere, used, mine]
    refused = _new_request(agent, {"title": "なりすまし", "body": "<b>x</b>"}, sneaked)
    assert refused.status_code == 400
    page = agent.text(refused)
    assert _kept_ids(refused, "/requests") == [mine]
    for name in ("同僚の見積.pdf", "よその契約書.pdf", "別の依頼のコメント用.txt", "もう添付した.txt"):
        assert name not in page
    assert "自分の資料.txt" in page

    for smuggled in (theirs, foreign, elsewhere, used):
        again = _new_request(agent, {"title": "なりすまし", "body": "本文"}, [smuggled])
        assert again.status_code == 400 and t("upload.unknown") in agent.text(again)
        assert _kept_ids(again, "/requests") == []


def test_the_api_answers_a_cancelled_comment_with_409_saying_to_send_it_again(agent, member):
    """The inline comment form shows the API's message: after a cancelled write it must say that
    sending again is enough (its files are still on the page), not to reopen the page."""
    created = make_request(member)
    files = _files(member, request_id=created.request_id)
    token = json.loads(agent.get("/api/session").body)["csrf_token"]
    headers = agent._headers({"Content-Type": "application/json", "X-CSRF-Token": token})
    body = json.dumps({"body": "APIのコメント", "upload_ids": list(files.values()),
                       "submission_id": "01JZZZZZZZZZZZZZZZZZZZZZZY"})
    path = f"/api/requests/{created.request_id}/comments"
    FAULTS.fail(*WRITE, "TransactionConflictException", status=400)
    refused = agent.client.http.post(path, headers=headers, body=body)
    assert refused.status_code == 409 and json.loads(refused.body)["message"] == t("comment.busy")
    FAULTS.clear()
    assert agent.client.http.post(path, headers=headers, body=body).status_code == 201
    assert _comment_files(member, created.request_id) == sorted(files)


def test_a_slot_past_its_day_is_neither_listed_again_nor_attached(agent, member):
    """DynamoDB's TTL deletes late and S3's lifecycle rule takes the file: a slot past expires_at is
    gone for the form, not listed as if it would still be sent."""
    from chalicelib.models.attachments import Upload
    stale = upload(member, "昨日の資料.txt", b"x", "text/plain")
    record = Upload.find(stale)
    record.expires_at = int(record.created_at.timestamp()) - 1
    record.save()
    refused = _new_request(agent, {"title": "古い添付", "body": "<b>x</b>"}, [stale])
    assert refused.status_code == 400 and "昨日の資料.txt" not in agent.text(refused)
    again = _new_request(agent, {"title": "古い添付", "body": "本文"}, [stale])
    assert again.status_code == 400 and t("upload.unknown") in agent.text(again)
