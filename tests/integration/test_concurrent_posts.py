"""Many people posting at once over HTTP: nothing lost, nothing doubled, request numbers unique.

The service-level tests (test_requests.py) race the services directly; these go through the
real server, sessions and CSRF-checked forms, as `make bench` does with 50 (bench/concurrency.py).
"""
from __future__ import annotations

from collections import Counter

import pytest

from bench import world as bench_world
from bench.concurrency import post_all
from chalicelib.models.base import Item
from chalicelib.models.requests import company_requests_partition
from chalicelib.models.users import CLIENT_MEMBER, User
from chalicelib.services import listings
from tests.support.factories import PASSWORD, make_client

AT_ONCE = 10


@pytest.fixture
def scene(live_server):
    return bench_world.make_scene("株式会社同時")


def sessions(live_server, scene, count):
    from chalicelib.models.companies import Company

    company = Company.find(scene.company_id)
    people = [make_client(company, role=CLIENT_MEMBER) for _ in range(count)]
    return [bench_world.session(person.user_id, PASSWORD, live_server.url) for person in people]


def test_comments_posted_at_once_are_all_stored_once(live_server, scene):
    page = f"{live_server.url}/requests/{scene.request_id}"
    results, _, _ = post_all(sessions(live_server, scene, AT_ONCE),
                          lambda index, step: page if step == "form" else page + "/comments",
                          lambda index: {"body": f"同時のコメント {index}"}, at_once=True)
    assert [status for _, status, _ in results] == [303] * AT_ONCE
    stored = Counter(entry.body for entry in listings.view_request(User.find(scene.staff_id), scene.request_id).entries)
    assert all(stored[f"同時のコメント {index}"] == 1 for index in range(AT_ONCE)), stored


def test_requests_filed_at_once_are_all_stored_once_with_numbers_of_their_own(live_server, scene):
    results, _, _ = post_all(sessions(live_server, scene, AT_ONCE),
                          lambda index, step: live_server.url + ("/requests/new" if step == "form" else "/requests"),
                          lambda index: {"title": f"同時の依頼 {index}", "body": "本文です。"}, at_once=True)
    assert [status for _, status, _ in results] == [303] * AT_ONCE
    stored = list(Item.gsi1.query(company_requests_partition(scene.company_id)))
    titles = Counter(item.title for item in stored)
    assert all(titles[f"同時の依頼 {index}"] == 1 for index in range(AT_ONCE)), titles
    # The scene's own request is #1; the ten filed at once took 2..11, each exactly once.
    assert sorted(item.number for item in stored) == list(range(1, AT_ONCE + 2))
    created = {location.split("?")[0].rsplit("/", 1)[-1] for _, _, location in results}
    assert created == {item.request_id for item in stored if item.title.startswith("同時の依頼")}
