"""Mail that says what happened (issue 16 item 9), through the outbox and the emulated SES.

What happens on a request within a short window reaches each recipient as one mail, still once
only: scheduled delivery holds a notification for the window, then sends it with the recipient's
other pending notifications of the request, each claimed by a conditional write. Locally (inline)
what one change queued goes as one mail at once. The 完了 mail says what was charged and what is
left, or the month's usage on a metered contract.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from chalicelib.models.notifications import SENT
from chalicelib.models.notifications import of_request as mail_of
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, listings, notifications, requests, workflow
from chalicelib.services import pointrules as r
from chalicelib.services.ledger import today_jst
from localdev import mailbox
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.usefixtures("no_faults")


@pytest.fixture
def people(aws):
    tag = uuid.uuid4().hex[:6]
    company = make_company(f"株式会社ミナト{tag}")
    return {"company": company,
            "requester": make_client(company, role=CLIENT_ADMIN, name="依頼 花子"),
            "participant": make_client(company, name="関係 次郎"),
            "staff": make_user(role=AGENCY_STAFF, name="担当 一郎", mail_unassigned=False),
            "admin": make_user(name="管理 三郎", mail_unassigned=False)}


@pytest.fixture
def windowed(monkeypatch):
    """Delivery as in AWS, with the window that holds each notification for two minutes."""
    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "scheduled")
    monkeypatch.setenv("IRAI_MAIL_WINDOW_SECONDS", "120")


def mails_to(person, request) -> list[dict]:
    """Mail to ``person`` about ``request``, oldest first."""
    return [m for m in reversed(mailbox.messages()) if person.email in m["to"]
            and f"#{request.number} {request.title}" in m["subject"]]


def file_request(people):
    return make_request(people["requester"], title=f"トップページの文言 {uuid.uuid4().hex[:6]}",
                        participant_ids=[people["participant"].user_id])


def test_what_happens_within_the_window_reaches_each_recipient_as_one_mail_once(people, windowed):
    request = file_request(people)
    t0 = request.created_at
    notifications.deliver_request(request.request_id, now=t0)
    requests.add_comment(people["staff"], request.request_id, "一つ目のコメントです。", now=t0 + timedelta(seconds=30))
    requests.add_comment(people["staff"], request.request_id, "二つ目のコメントです。", now=t0 + timedelta(seconds=60))
    notifications.deliver_request(request.request_id, now=t0 + timedelta(seconds=61))
    assert mails_to(people["participant"], request) == [], "held for the window"

    # The 新規依頼 falls due for the 依頼関係者 and takes both comments along.
    notifications.deliver_request(request.request_id, now=t0 + timedelta(seconds=121))
    [to_participant] = mails_to(people["participant"], request)
    assert to_participant["subject"] == f"【新規依頼】{request.company_name} #{request.number} {request.title}"
    text = to_participant["text"]
    assert "3件のお知らせをまとめてお送りします。" in text
    assert text.index("新しい依頼") < text.index("一つ目のコメントです。") < text.index("二つ目のコメントです。")
    assert mails_to(people["requester"], request) == [], "the requester's first is due 2 minutes after it"

    notifications.deliver_request(request.request_id, now=t0 + timedelta(seconds=151))
    [to_requester] = mails_to(people["requester"], request)
    assert to_requester["subject"] == f"【コメント】{request.company_name} #{request.number} {request.title}"
    assert "2件のお知らせ" in to_requester["text"] and "二つ目のコメントです。" in to_requester["text"]

    # Each notification is recorded as sent, those of one mail with its one SES message id.
    for _ in range(2):
        notifications.deliver_request(request.request_id, now=t0 + timedelta(hours=1))
    told = [n for n in mail_of(request.request_id)[1] if n.recipient_id in (people["requester"].user_id,
                                                                             people["participant"].user_id)]
    assert len(told) == 5 and {n.status for n in told} == {SENT}
    assert len({n.ses_message_id for n in told}) == 2
    assert len(mails_to(people["participant"], request)) == len(mails_to(people["requester"], request)) == 1


def test_a_comment_after_the_mail_went_is_a_mail_of_its_own(people, windowed):
    request = file_request(people)
    t0 = request.created_at
    requests.add_comment(people["staff"], request.request_id, "最初のコメントです。", now=t0)
    notifications.deliver_request(request.request_id, now=t0 + timedelta(minutes=3))
    requests.add_comment(people["staff"], request.request_id, "あとのコメントです。", now=t0 + timedelta(minutes=4))
    notifications.deliver_request(request.request_id, now=t0 + timedelta(minutes=5))
    assert len(mails_to(people["requester"], request)) == 1
    notifications.deliver_request(request.request_id, now=t0 + timedelta(minutes=6, seconds=1))
    first, later = mails_to(people["requester"], request)
    assert "あとのコメントです。" not in first["text"] and "最初のコメントです。" not in later["text"]


def test_what_one_change_queued_goes_as_one_mail_at_once_locally(people, monkeypatch):
    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "scheduled")
    request = file_request(people)
    requests.add_comment(people["staff"], request.request_id, "公開しました。")
    current = listings.view_request(people["staff"], request.request_id).request
    requests.update_request(people["staff"], request.request_id, requests.RequestChanges(status=workflow.WAITING),
                            revision=current.revision)
    queued = [e for e in mail_of(request.request_id)[0] if e.event != "created"]
    assert mails_to(people["requester"], request) == []

    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "inline")  # as the local server's after_commit does
    notifications.after_commit(queued)
    [mail] = mails_to(people["requester"], request)
    assert mail["subject"] == f"【ご確認のお願い】{request.company_name} #{request.number} {request.title}"
    assert "公開しました。" in mail["text"] and "「新規」から「確認待ち」に変更しました。" in mail["text"]
    assert "公開しました。" in mail["html"] and "「新規」から「確認待ち」に変更しました。" in mail["html"]


def _estimated(people, points="2", quantity="2"):
    request = file_request(people)
    estimates.save_estimate(people["staff"], request.request_id,
                            [estimates.LineInput(name="バナーの差し替え", points=points, quantity=quantity)], version=0)
    return request


def _complete(people, request):
    current = listings.view_request(people["staff"], request.request_id).request
    requests.update_request(people["staff"], request.request_id, requests.RequestChanges(status=workflow.DONE),
                            revision=current.revision)
    return mails_to(people["requester"], request)[-1]


def test_the_completion_mail_says_what_was_charged_and_what_is_left(people):
    contracts.save_contract(people["admin"], people["company"].company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=today_jst().isoformat()))
    request = _estimated(people)
    mail = _complete(people, request)
    assert mail["subject"] == f"【完了】{request.company_name} #{request.number} {request.title}"
    for body in (mail["text"], mail["html"]):
        assert "この依頼で4 ptを消費しました。残りは6 ptです。" in body


def test_the_completion_mail_of_a_metered_contract_says_the_months_usage(people):
    contracts.save_contract(people["admin"], people["company"].company_id, contracts.ContractForm(
        kind=r.POSTPAID, unit_price="5000", starts_on=today_jst().isoformat()))
    first = _complete(people, _estimated(people, points="1.5", quantity="1"))
    second = _complete(people, _estimated(people))
    month = f"{today_jst().year}年{today_jst().month}月"
    assert f"この依頼で1.5 ptを消費しました。{month}のご利用は合計1.5 ptです。" in first["text"]
    assert f"この依頼で4 ptを消費しました。{month}のご利用は合計5.5 ptです。" in second["text"]
    assert "残り" not in second["text"]
