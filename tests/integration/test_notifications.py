"""Notifications through SES: the right people told once, as the mail actually sent shows.

Every test reads what went through the emulated SES (the local mailbox); failures are injected at
the emulator's HTTP level, so botocore's retries, the outbox's retries and the reports all run.
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest

from chalicelib.adapters import config
from chalicelib.models.notifications import FAILED, PENDING, SENT, SKIPPED, MailEvent, MailSuppression, Notification
from chalicelib.models.notifications import of_request as mail_of
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN, User
from chalicelib.services import accounts, listings, notifications, requests, workflow
from chalicelib.clock import utcnow
from chalicelib.errors import Conflict
from localdev import mailbox
from localdev.emulator import FAULTS
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.usefixtures("no_faults")


@pytest.fixture
def scheduled(monkeypatch):
    """Delivery as in AWS: changes only queue; a sender (the schedule) sends later. Without the
    window that holds mail back for what else happens (the tests of the window set it), so a
    run sends what it expands."""
    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "scheduled")
    monkeypatch.setenv("IRAI_MAIL_WINDOW_SECONDS", "0")


@pytest.fixture
def world(aws):
    """A company with a requester, a 依頼関係者, a colleague and a deactivated member; another
    company; two staff who get all-staff mail, one who turned it off, and a deactivated one."""
    tag = uuid.uuid4().hex[:6]
    company, other = make_company(f"株式会社ミナト{tag}"), make_company(f"他社{tag}")
    people = {
        "requester": make_client(company, role=CLIENT_ADMIN, name="依頼 花子"),
        "participant": make_client(company, name="関係 次郎"),
        "colleague": make_client(company, name="同僚 三郎"),
        "outsider": make_client(other, name="他社 四郎"),
        "staff": make_user(role=AGENCY_STAFF, name="担当 一郎", mail_unassigned=True),
        "staff2": make_user(role=AGENCY_STAFF, name="担当 二郎", mail_unassigned=True),
        "quiet_staff": make_user(role=AGENCY_STAFF, name="静か 五郎", mail_unassigned=False),
        "gone_staff": make_user(role=AGENCY_STAFF, name="退職 六郎", mail_unassigned=True, active=False),
    }
    yield {"company": company, **people}
    # The table is the session's: staff of this test must not be told about later tests' requests.
    for name in ("staff", "staff2", "gone_staff"):
        User.find(people[name].user_id).update(actions=[User.mail_unassigned.set(False)])


def all_staff() -> list[str]:
    """Addresses of every agency account told about requests nobody is assigned to. The session's
    table is shared: accounts registered by other tests (through the app) are among them."""
    return [u.email for u in User.members(None, limit=1000) if u.active and u.mail_unassigned]


def mails_about(request) -> list[dict]:
    """Mail sent about ``request``, oldest first."""
    return [m for m in reversed(mailbox.messages()) if f"#{request.number} {request.title}" in m["subject"]
            and request.company_name in m["subject"]]


def recipients_of(mails: list[dict]) -> list[str]:
    return sorted(address for m in mails for address in m["to"])


def file_request(world, **overrides):
    return make_request(world["requester"], title=f"トップページの文言 {uuid.uuid4().hex[:6]}",
                        body="お知らせの文言を「営業時間のご案内」に変えてください。",
                        participant_ids=[world["participant"].user_id], **overrides)


# Who is told ----------------------------------------------------------------------------------

def test_a_new_request_mails_the_staff_and_the_participants_never_the_author(world):
    request = file_request(world)

    mails = mails_about(request)
    assert recipients_of(mails) == sorted([*all_staff(), world["participant"].email])
    for absent in ("requester", "colleague", "outsider", "quiet_staff", "gone_staff"):
        assert world[absent].email not in recipients_of(mails)


def test_the_mail_says_what_happened_links_the_request_and_cannot_be_answered(world):
    request = file_request(world)
    mail = next(m for m in mails_about(request) if world["staff"].email in m["to"])

    assert mail["subject"] == f"【新規依頼】{request.company_name} #{request.number} {request.title}"
    assert config.mail_from_address() in mail["from"]
    link = f"{config.site_url()}/requests/{request.request_id}"
    for body in (mail["text"], mail["html"]):
        assert link in body
        assert "依頼 花子" in body and "新しい依頼" in body
        assert "お知らせの文言を「営業時間のご案内」に変えてください。" in body
        assert "送信専用" in body and "返信しても届きません" in body
    assert "担当 一郎 様" in mail["text"]
    # Grouped as one conversation by mail clients; not answered by auto-responders.
    assert mail["headers"]["References"] == f"<request.{request.request_id}@{config.mail_from_address().split('@')[1]}>"
    assert mail["headers"]["In-Reply-To"] == mail["headers"]["References"]
    assert mail["headers"]["Auto-Submitted"] == "auto-generated"


def test_html_mail_escapes_what_people_typed(world):
    request = make_request(world["requester"], title="記号 & 引用 \"テスト\"", body="A & B は 1 < 2 のとおり")
    mail = next(m for m in mails_about(request) if world["staff"].email in m["to"])
    assert "A &amp; B は 1 &lt; 2 のとおり" in mail["html"]
    assert "A & B は 1 < 2 のとおり" in mail["text"]


def test_an_agency_comment_tells_the_requester_and_participants(world):
    request = file_request(world)
    before = len(mails_about(request))
    requests.add_comment(world["staff"], request.request_id, "文言を変更しました。ご確認ください。")

    mails = mails_about(request)[before:]
    assert recipients_of(mails) == sorted([world["requester"].email, world["participant"].email])
    assert all("文言を変更しました。ご確認ください。" in m["text"] for m in mails)
    assert all("がコメントしました" in m["text"] for m in mails)


def test_a_status_change_is_told_without_the_internal_memo(world):
    request = file_request(world)
    before = len(mails_about(request))
    changes = requests.RequestChanges(status=workflow.WAITING, memo="社内メモ: 原価は3時間")
    requests.update_request(world["staff"], request.request_id, changes, revision=0)

    mails = mails_about(request)[before:]
    assert recipients_of(mails) == sorted([world["requester"].email, world["participant"].email])
    for mail in mails:
        assert "「新規」から「確認待ち」に変更しました" in mail["text"]
        assert "原価" not in mail["text"] and "原価" not in mail["html"] and "社内メモ" not in mail["text"]


def test_a_client_comment_goes_to_all_staff_until_someone_is_assigned_then_to_them(world):
    request = file_request(world)
    before = len(mails_about(request))
    requests.add_comment(world["participant"], request.request_id, "画像も差し替えたいです。")
    mails = mails_about(request)[before:]
    assert recipients_of(mails) == sorted([*all_staff(), world["requester"].email])

    revision = listings.view_request(world["staff"], request.request_id).request.revision
    requests.update_request(world["staff"], request.request_id,
                            requests.RequestChanges(assignee_id=world["staff2"].user_id), revision=revision)
    assigned = mails_about(request)[-1]
    assert assigned["to"] == [world["staff2"].email] and "担当者にしました" in assigned["text"]

    before = len(mails_about(request))
    requests.add_comment(world["requester"], request.request_id, "よろしくお願いします。")
    mails = mails_about(request)[before:]
    assert recipients_of(mails) == sorted([world["staff2"].email, world["participant"].email])


def test_a_deactivated_participant_is_not_told(world):
    request = file_request(world)
    accounts.set_active(world["requester"], world["participant"].user_id, active=False)
    before = len(mails_about(request))
    requests.add_comment(world["staff"], request.request_id, "対応します。")
    assert recipients_of(mails_about(request)[before:]) == [world["requester"].email]


def test_a_participant_can_turn_off_mail_for_requests_they_only_follow(client, world):
    request = file_request(world)
    agent = signed_in(client, world["participant"], dashboard=False)
    page = agent.text(agent.get("/account/mail"))
    assert "依頼関係者になっている依頼のメールも受け取る" in page and "checked" in page
    response = agent.post("/account/mail", {})  # the box unticked
    assert response.status_code == 303
    assert "メール通知の設定を保存しました" in agent.text(agent.get(response.headers["location"]))
    assert User.find(world["participant"].user_id).mail_following is False

    before = len(mails_about(request))
    requests.add_comment(world["staff"], request.request_id, "差し替えました。")
    assert recipients_of(mails_about(request)[before:]) == [world["requester"].email]

    # The requester's own request is always told, whatever the setting.
    own = make_request(world["participant"], title=f"自分の依頼 {uuid.uuid4().hex[:6]}")
    before = len(mails_about(own))
    requests.add_comment(world["staff"], own.request_id, "承知しました。")
    assert recipients_of(mails_about(own)[before:]) == [world["participant"].email]


def test_staff_can_turn_off_mail_about_requests_nobody_is_assigned_to(client, world):
    agent = signed_in(client, world["staff2"], dashboard=False)
    assert "新規依頼と、担当者が決まっていない依頼へのコメントのメールを受け取る" in agent.text(agent.get("/account/mail"))
    response = agent.post("/account/mail", {})
    assert response.status_code == 303, agent.text(response)[:500]
    assert User.find(world["staff2"].user_id).mail_unassigned is False
    request = file_request(world)
    assert world["staff2"].email not in recipients_of(mails_about(request))
    assert world["staff"].email in recipients_of(mails_about(request))


# Never lost, never doubled --------------------------------------------------------------------

def test_the_outbox_is_written_with_the_change_and_only_with_it(world, scheduled):
    request = file_request(world)
    events, sent = mail_of(request.request_id)
    assert [e.event for e in events] == ["created"] and events[0].status == PENDING and sent == []

    with pytest.raises(Conflict):
        requests.update_request(world["staff"], request.request_id,
                                requests.RequestChanges(status=workflow.IN_PROGRESS), revision=99)
    assert len(mail_of(request.request_id)[0]) == 1, "a refused change queues no mail"
    assert mails_about(request) == [], "nothing is sent before the sender runs"

    notifications.deliver_request(request.request_id)
    assert recipients_of(mails_about(request)) == sorted(
        [*all_staff(), world["participant"].email])


def test_duplicate_and_concurrent_deliveries_send_each_notification_once(world, scheduled):
    """Four senders at once, a redelivered event and two more runs: each recipient is told each
    event exactly once. Senders racing may each claim one of a recipient's two notifications, so
    the 依頼関係者 gets the 新規依頼 and the comment in one mail or in two, never twice (that they
    go as one when a single sender finds them is pinned in test_mail_events.py)."""
    request = file_request(world)
    requests.add_comment(world["staff"], request.request_id, "同時に送られても一通だけ。")
    stale = [item for group in mail_of(request.request_id) for item in group]  # copies read before sending

    errors = []

    def sender():
        try:
            notifications.deliver_request(request.request_id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    notifications.deliver(stale)                         # a redelivered event, e.g. a retried Lambda
    notifications.deliver_request(request.request_id)    # and one more run
    notifications.deliver_due(now=utcnow() + timedelta(hours=1))

    mails = mails_about(request)
    participant = [m for m in mails if world["participant"].email in m["to"]]
    assert 1 <= len(participant) <= 2
    told = "".join(m["text"] for m in participant)
    assert told.count("新しい依頼") == 1 and told.count("同時に送られても一通だけ。") == 1
    others = [m for m in mails if world["participant"].email not in m["to"]]
    assert recipients_of(others) == sorted([*all_staff(), world["requester"].email])  # 新規依頼; the comment
    assert all(n.status == SENT for n in mail_of(request.request_id)[1])


def test_the_scheduled_lambda_sends_what_is_due(client, world, scheduled):
    request = file_request(world)
    payload = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                              resources=[])
    for _ in range(20):  # the outbox is shared with the whole session: a few runs may be needed
        if mails_about(request):
            break
        client.lambda_.invoke("deliver_mail", payload)
    assert recipients_of(mails_about(request)) == sorted(
        [*all_staff(), world["participant"].email])


def test_throttling_is_retried_by_the_sdk_and_the_mail_goes_once(world):
    FAULTS.fail("ses", "SendRawEmail", "Throttling", times=2)
    request = make_request(world["requester"], title=f"再試行 {uuid.uuid4().hex[:6]}")
    assert FAULTS.hits[("ses", "SendRawEmail")] == 2
    assert recipients_of(mails_about(request)) == sorted(all_staff())


def test_a_failing_ses_is_retried_with_backoff_then_shown_to_the_agency(client, world):
    # Not retried by botocore, and not the mail's fault: the outbox retries it later.
    FAULTS.fail("ses", "SendRawEmail", "AccountSendingPausedException")
    request = make_request(world["requester"], title=f"送信失敗 {uuid.uuid4().hex[:6]}")
    first = {n.recipient_id: n for n in mail_of(request.request_id)[1]}
    assert {n.status for n in first.values()} == {PENDING}
    n = first[world["staff"].user_id]
    assert n.attempts == 1 and n.last_error == "AccountSendingPausedException"
    assert n.next_attempt_at - n.created_at >= notifications.RETRY_DELAYS[0]

    now = n.created_at
    assert notifications.deliver_request(request.request_id, now=now + timedelta(seconds=30))["taken"] == len(first), \
        "not due yet"
    for delay in notifications.RETRY_DELAYS:
        now += delay + timedelta(seconds=1)
        notifications.deliver_request(request.request_id, now=now)
    final = {n.recipient_id: n for n in mail_of(request.request_id)[1]}
    assert {n.status for n in final.values()} == {FAILED}
    assert final[world["staff"].user_id].attempts == notifications.MAX_ATTEMPTS
    assert mails_about(request) == []

    # The agency sees it on the request and sends it again once SES works; the client sees nothing.
    agent = signed_in(client, world["staff"], dashboard=False)
    page = agent.text(agent.get(f"/requests/{request.request_id}"))
    assert "送信できなかったメールがあります" in page and "AccountSendingPausedException" in page
    client_page = signed_in(client, world["requester"], dashboard=False)
    shown = client_page.text(client_page.get(f"/requests/{request.request_id}"))
    assert 'id="mail-title"' not in shown and "AccountSendingPausedException" not in shown

    FAULTS.clear()
    response = agent.post(f"/requests/{request.request_id}/mail/{request.request_id}/{world['staff'].user_id}/resend",
                          {})
    assert response.status_code == 303
    assert recipients_of(mails_about(request)) == [world["staff"].email]
    agent.get(f"/requests/{request.request_id}")
    again = agent.post(f"/requests/{request.request_id}/mail/{request.request_id}/{world['staff'].user_id}/resend",
                       {})
    assert again.status_code == 409 and "送信済み" in agent.text(again)
    assert recipients_of(mails_about(request)) == [world["staff"].email]


def test_a_mail_ses_rejects_fails_at_once(world):
    FAULTS.fail("ses", "SendRawEmail", "MessageRejected")
    request = make_request(world["requester"], title=f"拒否 {uuid.uuid4().hex[:6]}")
    assert {(n.status, n.attempts, n.last_error) for n in mail_of(request.request_id)[1]} == {
        (FAILED, 1, "MessageRejected")}


# Bounces and complaints -----------------------------------------------------------------------

def ses_event(kind: str, address: str, **details) -> str:
    """An SES event-publishing record as SNS delivers it."""
    if kind == "Bounce":
        body = {"bounce": {"bounceType": details.get("bounce_type", "Permanent"), "bounceSubType": "General",
                           "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                                  "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}
    else:
        body = {"complaint": {"complainedRecipients": [{"emailAddress": address}],
                              "complaintFeedbackType": "abuse"}}
    return json.dumps({"eventType": kind, "mail": {"destination": [address]}, **body})


def test_a_bounce_stops_mail_to_the_address_visibly_until_the_agency_resumes_it(client, world):
    admin = make_user(name="管理 太郎")
    participant = world["participant"]
    request = file_request(world)

    response = client.lambda_.invoke("mail_feedback", client.events.generate_sns_event(
        message=ses_event("Bounce", f"関係 次郎 <{participant.email.upper()}>")))
    assert response.payload == [participant.email]
    assert MailSuppression.find(participant.email).reason == "bounce"

    agent = signed_in(client, admin, dashboard=False)
    account_page = agent.text(agent.get(f"/accounts/{participant.user_id}"))
    assert "停止中" in account_page and "550 5.1.1 user unknown" in account_page

    before = len(mails_about(request))
    requests.add_comment(world["staff"], request.request_id, "ご確認ください。")
    assert recipients_of(mails_about(request)[before:]) == [world["requester"].email]
    skipped = [n for n in mail_of(request.request_id)[1] if n.recipient_id == participant.user_id and n.status == SKIPPED]
    assert [n.skip_reason for n in skipped] == ["bounce"]
    request_page = agent.text(agent.get(f"/requests/{request.request_id}"))
    assert "メールアドレスに届きません(バウンス)" in request_page

    response = agent.post(f"/accounts/{participant.user_id}/mail-resume", {})
    assert response.status_code == 303 and MailSuppression.find(participant.email) is None
    assert "メール配信を再開しました" in agent.text(agent.get(response.headers["location"]))
    agent.post(f"/requests/{request.request_id}/mail/{skipped[0].event_id}/{participant.user_id}/resend", {})
    assert mails_about(request)[-1]["to"] == [participant.email]


def test_a_complaint_stops_mail_and_a_transient_bounce_does_not(client, world):
    colleague, participant = world["colleague"], world["participant"]
    client.lambda_.invoke("mail_feedback", client.events.generate_sns_event(
        message=ses_event("Bounce", colleague.email, bounce_type="Transient")))
    assert MailSuppression.find(colleague.email) is None
    client.lambda_.invoke("mail_feedback", client.events.generate_sns_event(
        message=ses_event("Complaint", participant.email)))
    assert MailSuppression.find(participant.email).reason == "complaint"
    assert client.lambda_.invoke("mail_feedback", client.events.generate_sns_event(message="not json")).payload == []


def test_feedback_about_an_event_of_another_kind_changes_nothing(client, world):
    message = json.dumps({"eventType": "Delivery", "mail": {"destination": [world["colleague"].email]}})
    assert client.lambda_.invoke("mail_feedback", client.events.generate_sns_event(message=message)).payload == []


# The outbox's own guarantees, at the model level ----------------------------------------------

def test_an_event_is_expanded_once_even_when_run_again(world, scheduled):
    request = file_request(world)
    event = mail_of(request.request_id)[0][0]
    assert isinstance(event, MailEvent)
    notifications.deliver([event])
    notifications.deliver([event])
    keys = [n.sk for n in mail_of(request.request_id)[1]]
    assert len(keys) == len(set(keys)) == len(all_staff()) + 1
    assert all(isinstance(n, Notification) for n in mail_of(request.request_id)[1])


def test_a_run_out_of_time_leaves_the_rest_to_the_next_run(world, scheduled):
    request = file_request(world)
    assert notifications.deliver_due(seconds=-1) == {}
    assert mails_about(request) == [] and mail_of(request.request_id)[0][0].status == PENDING
    notifications.deliver_request(request.request_id)
    assert len(mails_about(request)) == len(all_staff()) + 1
