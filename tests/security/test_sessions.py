"""Sessions over HTTP: fixation, logout, idle and absolute expiry, password change and reset.

Each test ages or ends sessions the way time or another tab would, then replays the cookie a
thief (or the shared computer's next user) would hold. Time is moved by ageing the stored
session item: the app reads the real clock, as in production.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.models.sessions import Session
from tests.support.accounts import signed_in
from tests.support.agent import Agent
from tests.support.aws_audit import app_calls
from tests.support.factories import PASSWORD
from localdev import mailbox
from tests.support.mailbox import mail_to

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _stored(agent: Agent) -> Session | None:
    return Session.find(hashlib.sha256(agent.cookies["irai_session"].encode()).hexdigest())


def _age(agent: Agent, **delta) -> None:
    """Move the session's last activity (and its whole life) into the past by ``delta``."""
    session = _stored(agent)
    ago = timedelta(**delta)
    session.update(actions=[Session.last_seen_at.set(session.last_seen_at - ago),
                            Session.created_at.set(session.created_at - ago)])


def _replay(client, cookie: str) -> Agent:
    thief = Agent(client)
    thief.cookies["irai_session"] = cookie
    return thief


def test_login_and_password_change_issue_new_session_tokens(client, make_user):
    """Threat: session fixation, a token known before a login or a privilege change stays valid."""
    user = make_user()
    agent = Agent(client)
    agent.cookies["irai_session"] = "planted-by-an-attacker"
    agent.login(user.user_id, PASSWORD)
    after_login = agent.cookies["irai_session"]
    assert after_login != "planted-by-an-attacker"
    assert _replay(client, "planted-by-an-attacker").get("/").headers["location"].startswith("/login")
    agent.get("/password")
    agent.post("/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                             "new_password_confirm": NEW_PASSWORD})
    assert agent.cookies["irai_session"] != after_login
    assert agent.get("/").status_code == 200
    assert _replay(client, after_login).get("/").headers["location"].startswith("/login")


def test_logout_ends_the_session_for_every_holder_of_the_cookie(client, make_user):
    """Threat: a copied cookie still working after the user logged out (shared computer)."""
    user = make_user()
    agent = signed_in(client, user)
    cookie = agent.cookies["irai_session"]
    agent.post("/logout", {})
    assert "irai_session" not in agent.cookies  # the browser is told to forget it
    thief = _replay(client, cookie)
    assert thief.get("/").headers["location"].startswith("/login")
    assert thief.get("/api/session").status_code == 401


def test_an_idle_session_ends_after_the_idle_timeout_and_says_so(client, make_user):
    """Threat: a session left open on an unattended computer used hours later."""
    user = make_user()
    kept, idle = signed_in(client, user), signed_in(client, user)
    _age(kept, minutes=118)
    assert kept.get("/").status_code == 200  # still inside the 120 minutes
    _age(idle, minutes=121)
    response = idle.get("/")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert _stored(idle) is None  # deleted on read, not left for the TTL
    assert idle.get("/api/session").status_code == 401


def test_an_active_session_still_ends_at_the_absolute_timeout(client, make_user):
    """Threat: a stolen cookie kept alive forever by a script that touches a page every minute."""
    user = make_user()
    agent = signed_in(client, user)
    session = _stored(agent)
    session.update(actions=[Session.absolute_expires_at.set(datetime.now(timezone.utc) - timedelta(seconds=1))])
    response = agent.get("/requests")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_password_change_ends_the_other_sessions_only(client, make_user):
    """Threat: someone who learnt the old password stays signed in after the owner changes it."""
    user = make_user()
    mine, other = signed_in(client, user), signed_in(client, user)
    mine.get("/password")
    response = mine.post("/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                       "new_password_confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert mine.get("/").status_code == 200
    assert other.get("/").headers["location"].startswith("/login")
    assert other.get("/api/session").status_code == 401
    assert Agent(client).login(user.user_id, PASSWORD).status_code == 401  # the old password is gone


def test_password_reset_ends_every_session(client, make_user):
    """Threat: the person who took over an account keeps it after the owner resets the password."""
    user = make_user()
    intruder = signed_in(client, user)
    owner = Agent(client)
    owner.get("/password/forgot")
    owner.post("/password/forgot", {"user_id": user.user_id})
    link = mail_to(user.email)
    path = re.search(r"/password/reset/[A-Za-z0-9_-]+", link["text"]).group(0)
    owner.get(path)
    done = owner.post(path, {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert done.headers["location"] == "/login?notice=reset_done"
    assert intruder.get("/").headers["location"].startswith("/login")


def test_deactivation_ends_the_accounts_sessions(client, make_user, aws):
    """Threat: a leaver whose account was turned off keeps working in an open tab."""
    from tests.support.factories import make_client, make_company

    company = make_company()
    admin = make_client(company, role="client_admin")
    member = make_client(company)
    leaver = signed_in(client, member)
    manager = signed_in(client, admin)
    manager.get(f"/accounts/{member.user_id}")
    assert manager.post(f"/accounts/{member.user_id}/deactivate", {"confirmed": "1"}).status_code == 303
    assert leaver.get("/").headers["location"].startswith("/login")
    assert json.loads(leaver.get("/api/session").body)["message"]


def _reset_link(client, user) -> str:
    """Ask for a reset link as the owner would, and read it from the mail (path only)."""
    from chalicelib.models.security import ResetMailRequest

    asked = ResetMailRequest.find(user.user_id)  # one mail a minute at most: the test asks again sooner
    if asked is not None:
        asked.delete()
    before = {m["id"] for m in mailbox.messages() if user.email in m["to"]}
    owner = Agent(client)
    owner.get("/password/forgot")
    assert owner.post("/password/forgot", {"user_id": user.user_id}).status_code == 200
    mail = mail_to(user.email)
    assert mail["id"] not in before
    return re.search(r"/password/reset/[A-Za-z0-9_-]+", mail["text"]).group(0)


def _assert_link_ended(client, path: str) -> None:
    agent = Agent(client)
    assert agent.get(path).status_code == 404
    agent.get("/password/forgot")  # a page with a form: the CSRF cookie and token a browser has
    response = agent.post(path, {"new_password": "yet-another-passphrase-7", "new_password_confirm": "yet-another-passphrase-7"})
    assert response.status_code == 404


def test_a_password_change_ends_every_outstanding_reset_link(client, make_user):
    """Threat: a reset link read from a mailbox the owner no longer controls still works after the
    owner changed the password in 設定, and gives the account back to whoever holds the link."""
    user = make_user()
    link = _reset_link(client, user)
    assert Agent(client).get(link).status_code == 200
    owner = signed_in(client, user)
    owner.get("/password")
    assert owner.post("/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                    "new_password_confirm": NEW_PASSWORD}).status_code == 303
    _assert_link_ended(client, link)
    assert Agent(client).login(user.user_id, NEW_PASSWORD).status_code == 303  # the change stands


def test_a_reset_ends_the_other_outstanding_reset_links(client, make_user):
    """Threat: of two links sent (the owner asked twice, or an intruder asked too), the unused one
    still resets the password after the owner reset it with the other."""
    user = make_user()
    first, second = _reset_link(client, user), _reset_link(client, user)
    assert first != second
    owner = Agent(client)
    assert owner.get(second).status_code == 200
    done = owner.post(second, {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert done.headers["location"] == "/login?notice=reset_done"
    _assert_link_ended(client, first)
    _assert_link_ended(client, second)  # used once
    assert Agent(client).login(user.user_id, NEW_PASSWORD).status_code == 303


def test_deactivation_ends_every_outstanding_reset_link(client, aws):
    """Threat: a leaver asks for a reset link before being switched off, and uses it once the
    account is active again (or the link outlives the deactivation meant to lock them out)."""
    from tests.support.factories import make_client, make_company

    company = make_company()
    admin, member = make_client(company, role="client_admin"), make_client(company)
    link = _reset_link(client, member)
    manager = signed_in(client, admin)
    manager.get(f"/accounts/{member.user_id}")
    assert manager.post(f"/accounts/{member.user_id}/deactivate", {"confirmed": "1"}).status_code == 303
    _assert_link_ended(client, link)
    manager.get(f"/accounts/{member.user_id}")
    assert manager.post(f"/accounts/{member.user_id}/reactivate", {}).status_code == 303
    _assert_link_ended(client, link)  # switching the account back on does not revive it


def test_the_reset_form_does_the_same_work_for_every_id_before_answering(scheduled_client, make_user):
    """Threat: telling which user IDs exist from how long 「パスワードを忘れた方」 takes to answer
    (34 ms with a lookup, a token, a write and a mail for a real ID, 9 ms for an unknown one).

    What the request does before its answer is the same list of AWS calls for an existing ID, an
    unknown one and one asked again within the minute; the link is mailed afterwards, by the
    sender the schedule runs, and only to the real account.
    """
    from chalicelib.models.security import ResetMailRequest
    from chalicelib.services import auth

    user = make_user()
    unknown = f"nobody-{user.user_id}"

    def answer_calls(user_id: str) -> list:
        agent = Agent(scheduled_client)
        agent.get("/password/forgot")
        with app_calls() as calls:
            response = agent.post("/password/forgot", {"user_id": user_id})
        assert response.status_code == 200 and "登録されていれば、パスワード再設定用のリンク" in agent.text(response)
        # Which operation, with which parameters (their values name the ID's own keys).
        return [(call.service, call.name, tuple(sorted(call.params))) for call in calls]

    answer_calls(f"warm-{user.user_id}")  # whatever a first request of the process reads once
    existing, missing = answer_calls(user.user_id), answer_calls(unknown)
    again = answer_calls(user.user_id)  # within the minute: nothing new is queued, same work
    # The form takes an e-mail address too (issue 16): a registered and an unknown one, same work.
    by_address, no_address = answer_calls(user.email), answer_calls(f"nobody-{user.email}")
    assert existing == missing == again == by_address == no_address
    assert ("dynamodb", "PutItem", ("ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
                                    "Item", "ReturnConsumedCapacity", "TableName")) in existing  # the queued request
    assert [call for call in existing if call[0] == "ses"] == []
    with pytest.raises(AssertionError):
        mail_to(user.email, subject="パスワード再設定")  # not before the sender ran
    payload = scheduled_client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                        detail={}, resources=[])
    outcomes = scheduled_client.lambda_.invoke("deliver_mail", payload).payload  # the every-minute sender
    assert outcomes["reset_sent"] >= 2 and outcomes["reset_skipped"] >= 3
    link = re.search(r"/password/reset/[A-Za-z0-9_-]+", mail_to(user.email, subject="パスワード再設定")["text"]).group(0)
    assert Agent(scheduled_client).get(link).status_code == 200
    assert ResetMailRequest.find(unknown).status == "done"
    assert auth.deliver_reset_mails()["sent"] == 0  # each request is done once
    assert ResetMailRequest.find(user.user_id).status == "done"


def test_a_burst_of_made_up_ids_does_not_hold_back_a_real_accounts_link(make_user, monkeypatch):
    """Threat: anyone can queue reset requests for made-up IDs; a burst of them must not keep a
    real account's link waiting behind them run after run (one batch of the queue per run)."""
    import uuid

    from chalicelib.services import auth

    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "scheduled")  # as in AWS: queued now, sent by the schedule
    tag = uuid.uuid4().hex[:8]
    for number in range(120):  # more than two batches
        auth.request_password_reset(f"made-up-{tag}-{number}")
    user = make_user()
    auth.request_password_reset(user.user_id)
    outcomes = auth.deliver_reset_mails(seconds=120)  # one run, with time for everything queued
    assert outcomes["skipped"] >= 120 and outcomes["sent"] >= 1
    assert "/password/reset/" in mail_to(user.email, subject="パスワード再設定")["text"]


def test_the_local_server_answers_before_work_handed_over_is_done():
    """Threat: an answer that waits for the work it triggers (a mail for a real ID only) tells, by
    its time, what the work was. Work handed to ``afterwards.later`` runs after the local server
    wrote the answer: here the answer arrives while that work is still held, and a reader of its
    results (``settled``, used by the local mailbox) waits for it to finish."""
    import threading

    import requests
    from chalice import Chalice

    from chalicelib.adapters import afterwards
    from localdev import stack
    from tests.support.waits import HTTP_TIMEOUT_S, WAIT_S

    release, done = threading.Event(), threading.Event()
    other = Chalice(app_name="afterwards")

    @other.route("/")
    def index():
        afterwards.later(lambda: release.wait(WAIT_S) and done.set())
        return {"answered": True}

    server = stack.serve(other, port=0)
    try:
        response = requests.get(f"{server.url}/", timeout=HTTP_TIMEOUT_S)
        assert response.json() == {"answered": True}
        assert not done.is_set() and not afterwards.settled(timeout=0)  # the answer did not wait
        release.set()
        assert afterwards.settled(timeout=WAIT_S) and done.is_set()
    finally:
        release.set()
        server.stop()


def test_the_local_server_mails_the_reset_link_after_answering(live_server, make_user):
    """Locally (IRAI_MAIL_DELIVERY=inline) the link still comes at once, sent after the answer,
    so the form answers an existing and an unknown ID after the same single write."""
    import requests

    from tests.support.waits import HTTP_TIMEOUT_S

    user = make_user()
    browser = requests.Session()
    browser.get(f"{live_server.url}/password/forgot", timeout=HTTP_TIMEOUT_S)
    response = browser.post(f"{live_server.url}/password/forgot", timeout=HTTP_TIMEOUT_S, data={
        "user_id": user.user_id, "csrf_token": browser.cookies["irai_csrf"]}, headers={"Origin": live_server.url})
    assert response.status_code == 200 and "登録されていれば、パスワード再設定用のリンク" in response.text
    link = re.search(r"/password/reset/[A-Za-z0-9_-]+", mail_to(user.email, subject="パスワード再設定")["text"]).group(0)
    assert browser.get(f"{live_server.url}{link}", timeout=HTTP_TIMEOUT_S).status_code == 200
