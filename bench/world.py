"""What every bench section shares: one emulator, the app over real HTTP, and a baseline app.

Started once per process on first use, the way the tests start theirs (tests/conftest.py), so
`make bench` needs nothing running beforehand. The baseline is a minimal Chalice app making one
DynamoDB call per request, served by the same local server: page times are reported as
multiples of it, which holds on a shared, noisy machine where milliseconds do not.
"""
from __future__ import annotations

import logging
import math
import os
import re
import statistics
import time
from dataclasses import dataclass
from functools import cache

import requests as http

from localdev import emulator, provision, stack

# bcrypt cost of the tests: the bench signs in dozens of sessions, and no figure here times a
# password check (login is timed as the page a person opens, GET /login).
BCRYPT_ROUNDS = "4"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def require_flat(section: str, what: str, counts: dict[int, int]) -> None:
    """Fail ``section`` unless ``counts`` (calls by data size) are equal at every size: the hook a
    section whose cost must not grow with the data (search among 10 and 10,000 requests) calls."""
    if len(set(counts.values())) > 1:
        sizes = ", ".join(f"{count} at {size:,}" for size, count in sorted(counts.items()))
        raise Failed(section + f"\n\n**FAILED**: {what} grows with the data ({sizes}).")


class Failed(Exception):
    """A section found a broken invariant; ``section`` is its Markdown, printed before exiting 1."""

    def __init__(self, section: str):
        super().__init__(section)
        self.section = section


@dataclass
class World:
    url: str  # the app
    baseline_url: str  # the minimal Chalice app, GET / makes one DynamoDB GetItem


@cache
def world() -> World:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the emulator's access log: a line per call
    emulator.start(port=0)
    resources = provision.provision(provision.default_local_params("http://127.0.0.1:8000"))
    # Mail as in AWS (a scheduled sender), not inline as in `make run`: no page waits for SES there.
    stack.configure_environment("http://127.0.0.1:8000", resources, IRAI_BCRYPT_ROUNDS=BCRYPT_ROUNDS,
                                IRAI_MAIL_DELIVERY="scheduled")
    from app import app  # only now: the app reads its settings from the environment set above

    server = stack.serve(app, port=0)
    _quiet(server)
    # The bucket's CORS rule and mail links name the site's origin, as the infra stack's SiteUrl does.
    provision.provision(provision.default_local_params(server.url))
    os.environ["IRAI_SITE_URL"] = server.url
    baseline = stack.serve(_baseline_app(resources.table), port=0)
    _quiet(baseline)
    return World(url=server.url, baseline_url=baseline.url)


def _quiet(served: stack.AppServer) -> None:
    """No access-log line per request on stderr (thousands here); the handler class is this server's own."""
    served.server.server.RequestHandlerClass.func.log_message = lambda *args: None


def _baseline_app(table: str):
    import boto3
    from chalice import Chalice

    baseline = Chalice(app_name="baseline")
    dynamodb = boto3.client("dynamodb")

    @baseline.route("/")
    def index():
        dynamodb.get_item(TableName=table, Key={"PK": {"S": "BASELINE"}, "SK": {"S": "BASELINE"}})
        return {"ok": True}

    return baseline


def session(user_id: str, password: str, base_url: str | None = None) -> http.Session:
    """A browser-like HTTP session of ``user_id``, signed in through the login form of base_url (the bench's app)."""
    base_url = base_url or world().url
    agent = http.Session()
    page = agent.get(f"{base_url}/login")
    page.raise_for_status()
    response = agent.post(f"{base_url}/login", data={"user_id": user_id, "password": password,
                                                        "csrf_token": csrf_token(page.text)},
                          allow_redirects=False)
    if response.status_code != 303:
        raise RuntimeError(f"could not sign in {user_id}: {response.status_code}")
    return agent


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed(call) -> float:
    """Seconds ``call()`` took."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Scene:
    """One client company as a person meets it: its admin, a few requests, one with a conversation."""

    company_id: str
    client_id: str
    staff_id: str
    request_id: str
    password: str


def make_scene(name: str) -> Scene:
    """A company whose admin filed one request, with three comments, and a staff account.

    Needs the environment world() sets (or the tests' `aws` fixture).
    """
    from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
    from chalicelib.services import requests
    from tests.support.factories import PASSWORD, make_client, make_company, make_request, make_user

    company = make_company(name)
    asker = make_client(company, role=CLIENT_ADMIN)
    opened = make_request(asker, title="トップページの文言変更", body="お知らせの文言を次のとおり変えてください。\n" * 5)
    staff = make_user(role=AGENCY_STAFF)
    for index in range(3):
        requests.add_comment(staff if index % 2 else asker, opened.request_id, f"コメント {index}: 確認しました。")
    return Scene(company_id=company.company_id, client_id=asker.user_id, staff_id=staff.user_id,
                 request_id=opened.request_id, password=PASSWORD)


def add_requests(one: Scene, count: int) -> list:
    """``count`` more requests in ``one``'s company, written in batches; returns them, to delete after.

    Batch writes, not the app's transactions: the emulator (moto) copies every table on each
    transaction, so transactions slow down and use memory with the table's size; the sections
    therefore make their transactions before adding volume, and remove it when done.
    """
    from chalicelib.models.companies import Company
    from chalicelib.models.users import User
    from tests.support.volume import seed

    return seed(Company.find(one.company_id), User.find(one.client_id), count, first_number=2)


def remove(items: list) -> None:
    from chalicelib.models.requests import Request

    with Request.batch_write() as batch:
        for item in items:
            batch.delete(item)


@cache
def scene() -> Scene:
    """The company the timing, weight and Lighthouse sections open: 10 requests, one with a conversation."""
    world()
    one = make_scene("株式会社ベンチ")
    add_requests(one, 9)
    return one


def pages(one: Scene) -> dict[str, str]:
    """The four pages the issue names, as paths; all but login are opened signed in as the client admin."""
    return {"login": "/login", "dashboard": "/", "request": f"/requests/{one.request_id}",
            "new request": "/requests/new"}
