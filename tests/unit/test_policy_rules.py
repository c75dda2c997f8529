"""services/policy.py: what each role may do to a request in each state. Pure: no table is read."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.errors import Forbidden, Invalid, NotFound
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER, User
from chalicelib.services import policy, workflow

ALL_STATUSES = list(workflow.STATUS_ORDER)


def person(role: str, company_id: str | None = "c1") -> User:
    return User("USER#someone", "PROFILE", role=role, company_id=None if role.startswith("agency") else company_id)


def request(status: str, company_id: str = "c1"):
    return SimpleNamespace(status=status, company_id=company_id)


CLIENT = person(CLIENT_MEMBER)
STAFF = person(AGENCY_STAFF)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_both_sides_comment_on_anything_but_a_withdrawn_request(status):
    for actor in (CLIENT, STAFF, person(CLIENT_ADMIN), person(AGENCY_ADMIN)):
        assert policy.may(actor, policy.COMMENT, request(status)) is (status != workflow.WITHDRAWN)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_participants_change_while_the_request_is_open_and_only_by_the_client(status):
    assert policy.may(CLIENT, policy.PARTICIPANTS, request(status)) is (status in workflow.OPEN)
    assert policy.may(STAFF, policy.PARTICIPANTS, request(status)) is False


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_withdraw_and_confirm_follow_the_clients_transitions(status):
    assert policy.may(CLIENT, policy.WITHDRAW, request(status)) is (status in workflow.OPEN)
    assert policy.may(CLIENT, policy.CONFIRM, request(status)) is (status == workflow.WAITING)
    assert not policy.may(STAFF, policy.WITHDRAW, request(status))
    assert not policy.may(STAFF, policy.CONFIRM, request(status))


def test_the_agency_manages_and_clients_do_not():
    assert policy.may(STAFF, policy.MANAGE, request(workflow.DONE))
    assert not policy.may(person(CLIENT_ADMIN), policy.MANAGE, request(workflow.NEW))


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("charged", [False, True])
def test_an_estimate_is_edited_while_the_request_is_open_and_nothing_was_charged(status, charged):
    allowed = status in workflow.OPEN and not charged
    assert policy.may(STAFF, policy.ESTIMATE_EDIT, request(status), charged=charged) is allowed
    assert not policy.may(CLIENT, policy.ESTIMATE_EDIT, request(status), charged=charged)


@pytest.mark.parametrize("state,charged,allowed", [("pending", False, True), ("pending", True, False),
                                                   ("approved", False, False), ("returned", False, False)])
def test_an_estimate_is_answered_while_it_waits_and_is_not_charged(state, charged, allowed):
    estimate = SimpleNamespace(state=state)
    assert policy.may(CLIENT, policy.ESTIMATE_ANSWER, request(workflow.NEW), estimate=estimate,
                      charged=charged) is allowed
    assert not policy.may(STAFF, policy.ESTIMATE_ANSWER, request(workflow.NEW), estimate=estimate)
    assert not policy.may(CLIENT, policy.ESTIMATE_ANSWER, request(workflow.NEW), estimate=None)


def test_another_companys_request_is_never_allowed():
    assert not policy.may(CLIENT, policy.COMMENT, request(workflow.NEW, company_id="c2"))
    assert policy.may(STAFF, policy.COMMENT, request(workflow.NEW, company_id="c2"))


def test_require_refuses_as_the_services_do():
    with pytest.raises(NotFound):  # another company's request does not exist for a client
        policy.require(CLIENT, policy.COMMENT, request(workflow.NEW, company_id="c2"))
    with pytest.raises(Forbidden):  # the role lacks the action, whatever the state
        policy.require(STAFF, policy.PARTICIPANTS, request(workflow.DONE))
    with pytest.raises(Invalid) as refused:
        policy.require(CLIENT, policy.COMMENT, request(workflow.WITHDRAWN))
    assert refused.value.errors == {"_form": "取り下げられた依頼にはコメントできません。"}
    with pytest.raises(Invalid) as refused:
        policy.require(CLIENT, policy.PARTICIPANTS, request(workflow.DONE))
    assert set(refused.value.errors) == {"participant_ids"}
    policy.require(CLIENT, policy.COMMENT, request(workflow.DONE))  # allowed: no exception


def test_for_request_answers_every_action_at_once():
    can = policy.for_request(CLIENT, request(workflow.WAITING))
    assert (can.comment, can.participants, can.withdraw, can.confirm, can.manage, can.edit_estimate,
            can.answer_estimate, can.reopen) == (True, True, True, True, False, False, False, False)


def completed(days_ago: float, *, period: int | None = 14, requester: str = "someone"):
    from datetime import timedelta

    from chalicelib.clock import utcnow
    return SimpleNamespace(status=workflow.DONE, company_id="c1", requester_id=requester,
                           completed_at=utcnow() - timedelta(days=days_ago) if period is not None else None,
                           reopen_days=period)


def test_a_client_reopens_its_completed_request_only_within_the_period():
    requester = User("USER#someone", "PROFILE", user_id="someone", role=CLIENT_MEMBER, company_id="c1")
    assert policy.may(requester, policy.REOPEN, completed(13.9))
    assert not policy.may(requester, policy.REOPEN, completed(14.01))
    assert not policy.may(requester, policy.REOPEN, completed(0, period=0))
    assert not policy.may(requester, policy.REOPEN, completed(1, period=None))  # completed before the period existed
    colleague = User("USER#other", "PROFILE", user_id="other", role=CLIENT_MEMBER, company_id="c1")
    assert not policy.may(colleague, policy.REOPEN, completed(1))
    assert policy.may(User("USER#boss", "PROFILE", user_id="boss", role=CLIENT_ADMIN, company_id="c1"),
                      policy.REOPEN, completed(1))
    with pytest.raises(Invalid) as refused:
        policy.require(requester, policy.REOPEN, completed(20))
    assert refused.value.errors["status"].startswith("完了から14日が過ぎたため")


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_the_agency_reopens_exactly_the_closed_statuses_whenever(status):
    closed = SimpleNamespace(status=status, company_id="c1", requester_id="x", completed_at=None, reopen_days=None)
    assert policy.may(STAFF, policy.REOPEN, closed) == (status in workflow.CLOSED)
    assert policy.may(CLIENT, policy.REOPEN, closed) is False  # nothing recorded: not the client's to reopen


def test_a_client_sees_the_shared_revision_and_the_agency_every_save():
    """社内メモ move ``revision`` only; an item saved before ``shared_revision`` existed shows its revision."""
    memoed = Request("REQ#r1", "REQUEST", revision=5, shared_revision=3)
    older = Request("REQ#r2", "REQUEST", revision=4)
    for agency in (STAFF, person(AGENCY_ADMIN)):
        assert policy.revision(agency, memoed) == 5 and policy.revision(agency, older) == 4
    for client in (CLIENT, person(CLIENT_ADMIN)):
        assert policy.revision(client, memoed) == 3 and policy.revision(client, older) == 4


def test_a_client_never_gets_an_agency_login_id_and_the_agency_gets_every_one():
    for client in (CLIENT, person(CLIENT_ADMIN)):
        assert policy.shown_login_id(client, "staff01", of_agency=True) is None
        assert policy.shown_login_id(client, "member01", of_agency=False) == "member01"
    for agency in (STAFF, person(AGENCY_ADMIN)):
        assert policy.shown_login_id(agency, "staff01", of_agency=True) == "staff01"
        assert policy.shown_login_id(agency, "member01", of_agency=False) == "member01"
    assert policy.shown_login_id(STAFF, None, of_agency=True) is None
