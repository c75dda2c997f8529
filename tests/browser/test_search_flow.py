"""Issue 18 item 4 in a real browser: a word typed into the keyword field finds the request, on the
client's 依頼の検索 and in the agency's inbox, in a company with 10 requests and with 1,000 (the
bench measures 10,000), newest first with 次のページ, the words marked; and without JavaScript.

Everything is found by what a user sees. Screenshots at 1280x800 and 390x844 go to /tmp/shots-search/.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import search, workflow
from tests.support.browser import heading, log_in, token
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-search")
PHONE = {"width": 390, "height": 844}
RARE = "栞鶺鴒"


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _company(size: int, tag: str):
    """A company with ``size`` requests: one filed through the app holding RARE (the oldest), the
    rest written in bulk and indexed, all titled with the common phrase."""
    company = make_company(f"株式会社検索{size}{tag}")
    asker = make_client(company, role=CLIENT_ADMIN)
    rare = make_request(asker, title=f"{RARE}{tag}の差し替え", body=f"トップページの文言変更と{RARE}の件")
    start = datetime.now(timezone.utc) + timedelta(minutes=1)
    made = []
    with Request.batch_write() as batch:
        for n in range(size - 1):
            at = start + timedelta(seconds=n)
            request = Request.new(company_id=company.company_id, company_name=company.name, number=n + 2,
                                  title=f"トップページの文言変更 {tag} {n}", body="本文", status=workflow.NEW,
                                  requester_id=asker.user_id, requester_name=asker.name, created_at=at, last_activity_at=at)
            batch.save(request)
            made.append(request)
    search.requests_filed(made)
    return company, asker, rare


@pytest.mark.parametrize("size", [10, 1000])
def test_the_client_and_the_agency_find_a_request_by_a_typed_word(page, open_page, live_server, size):
    tag = token()
    company, asker, rare = _company(size, tag)
    staff = make_user(role=AGENCY_STAFF)

    log_in(page, live_server.url, asker.user_id)
    page.get_by_label("キーワードで依頼を探す").fill(RARE + tag)
    page.get_by_role("button", name="検索").click()
    expect(heading(page, f"「{RARE}{tag}」の検索結果")).to_be_visible()
    result = page.get_by_role("link", name=f"#1 {RARE}{tag}の差し替え")
    expect(result).to_be_visible()
    expect(page.locator("mark", has_text=f"{RARE}{tag}")).to_have_count(1)
    expect(page.get_by_role("link", name="次のページ")).to_have_count(0)
    if size == 1000:
        shoot(page, "client-search-desktop")

    # A word every request holds: newest first, a page at a time.
    page.get_by_label("キーワードで依頼を探す").fill("トップページの文言変更")
    page.get_by_role("button", name="検索").click()
    first = page.locator(".request-list__number").first
    if size == 10:
        expect(page.get_by_role("link", name="次のページ")).to_have_count(0)
        expect(page.locator(".request-list__item")).to_have_count(10)
    else:
        expect(first).to_have_text(f"#{size}")
        page.get_by_role("link", name="次のページ").click()
        expect(page.locator(".request-list__number").first).to_have_text(f"#{size - 30}")
    page.get_by_label("キーワードで依頼を探す").fill(RARE + tag)
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=f"#1 {RARE}{tag}の差し替え").click()
    expect(heading(page, f"{RARE}{tag}の差し替え")).to_be_visible()

    agency = open_page()
    log_in(agency, live_server.url, staff.user_id)
    agency.get_by_label("状態").select_option(label="すべて")
    agency.get_by_label("キーワード").fill(f"{RARE}{tag}")
    agency.get_by_role("button", name="絞り込む").click()
    found = agency.get_by_role("link", name=f"#1 {RARE}{tag}の差し替え")
    expect(found).to_be_visible()
    expect(agency.locator(".request-list__item")).to_have_count(1)
    expect(agency.locator(".request-list__excerpt mark").first).to_have_text(RARE)
    if size == 1000:
        shoot(agency, "agency-search-desktop")
        phone = open_page(viewport=PHONE)
        log_in(phone, live_server.url, asker.user_id)
        shoot(phone, "client-dashboard-phone")
        phone.get_by_label("キーワードで依頼を探す").fill(RARE + tag)
        phone.get_by_role("button", name="検索").click()
        expect(phone.get_by_role("link", name=f"#1 {RARE}{tag}の差し替え")).to_be_visible()
        shoot(phone, "client-search-phone")
        staff_phone = open_page(viewport=PHONE)
        log_in(staff_phone, live_server.url, staff.user_id)
        staff_phone.goto(f"{live_server.url}/?status=&q=トップページ {tag}")
        expect(staff_phone.get_by_role("link", name="次のページ")).to_be_visible()
        shoot(staff_phone, "agency-search-phone")


def test_search_works_without_javascript(open_page, live_server):
    tag = token()
    _, asker, _ = _company(10, tag)
    page = open_page(java_script_enabled=False)
    log_in(page, live_server.url, asker.user_id)
    page.get_by_label("キーワードで依頼を探す").fill(f"{RARE}{tag}")
    page.get_by_role("button", name="検索").click()
    expect(page.get_by_role("link", name=f"#1 {RARE}{tag}の差し替え")).to_be_visible()
    page.get_by_label("キーワードで依頼を探す").fill(f"見つからない{tag}")
    page.get_by_role("button", name="検索").click()
    expect(page.get_by_text(f"「見つからない{tag}」を含む依頼は見つかりませんでした。")).to_be_visible()
    shoot(page, "client-search-empty-desktop")
