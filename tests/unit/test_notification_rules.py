"""Who is told about what (PRODUCT.md's table), as a pure function of the request and people."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.models.notifications import MailEvent
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER, User
from chalicelib.services.notifications import (
    ASSIGNED,
    ASSIGNEE,
    COMMENT,
    CREATED,
    PARTICIPANT,
    REQUESTER,
    STAFF,
    STATUS,
    recipients,
)

NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)


def person(user_id: str, role: str, company_id: str | None = None, **overrides) -> User:
    return User(user_id=user_id, name=user_id, email=f"{user_id}@example.com", role=role, company_id=company_id,
                password_hash="x", created_at=NOW, **overrides)


@pytest.fixture
def people() -> dict[str, User]:
    everyone = [
        person("asker", CLIENT_ADMIN, "c1"),
        person("follower", CLIENT_MEMBER, "c1"),
        person("quiet", CLIENT_MEMBER, "c1", mail_following=False),
        person("left", CLIENT_MEMBER, "c1", active=False),
        person("stranger", CLIENT_MEMBER, "c2"),
        person("boss", AGENCY_ADMIN),
        person("staff", AGENCY_STAFF),
        person("busy", AGENCY_STAFF, mail_unassigned=False),
        person("retired", AGENCY_STAFF, active=False),
    ]
    return {user.user_id: user for user in everyone}


def request(**overrides) -> Request:
    values = dict(company_id="c1", requester_id="asker", participant_ids=["follower", "quiet", "left", "stranger"],
                  assignee_id=None)
    values.update(overrides)
    return Request(request_id="r1", **values)


def told(kind: str, actor: User, req: Request, people, **extra) -> list[tuple[str, str]]:
    event = MailEvent(event=kind, actor_id=actor.user_id, actor_name=actor.name,
                      actor_side="agency" if actor.is_agency else "client", **extra)
    return [(r.user_id, r.relation) for r in recipients(event, request=req, people=people)]


def test_a_new_request_tells_staff_who_want_it_and_the_participants(people):
    assert told(CREATED, people["asker"], request(), people) == [
        ("boss", STAFF), ("staff", STAFF), ("follower", PARTICIPANT)]


def test_the_agency_comment_tells_the_requester_and_participants(people):
    for kind in (COMMENT, STATUS):
        assert told(kind, people["staff"], request(), people) == [("asker", REQUESTER), ("follower", PARTICIPANT)]


def test_a_client_comment_tells_all_staff_when_nobody_is_assigned(people):
    assert told(COMMENT, people["follower"], request(), people) == [
        ("boss", STAFF), ("staff", STAFF), ("asker", REQUESTER)]


def test_a_client_comment_tells_only_the_assignee_once_there_is_one(people):
    # Even one who turned off mail about unassigned requests: this one is theirs.
    assert told(COMMENT, people["asker"], request(assignee_id="busy"), people) == [
        ("busy", ASSIGNEE), ("follower", PARTICIPANT)]


def test_a_deactivated_assignee_falls_back_to_all_staff(people):
    assert told(STATUS, people["asker"], request(assignee_id="retired"), people) == [
        ("boss", STAFF), ("staff", STAFF), ("follower", PARTICIPANT)]


def test_the_new_assignee_is_told_unless_they_assigned_themselves(people):
    assert told(ASSIGNED, people["boss"], request(assignee_id="staff"), people, assignee_id="staff") == [
        ("staff", ASSIGNEE)]
    assert told(ASSIGNED, people["staff"], request(assignee_id="staff"), people, assignee_id="staff") == []


def test_the_author_is_never_told_even_written_in_another_case(people):
    assert ("asker", REQUESTER) not in told(COMMENT, person("ASKER", CLIENT_ADMIN, "c1"), request(), people)


def test_someone_of_another_company_is_never_told_even_if_named_as_participant(people):
    for kind in (CREATED, COMMENT, STATUS):
        assert all(user_id != "stranger" for user_id, _ in told(kind, people["staff"], request(), people))
        assert all(user_id != "stranger" for user_id, _ in told(kind, people["asker"], request(), people))
