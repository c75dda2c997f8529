"""Issue 16 items 4 and 5 in a real browser: 再開する on a 完了 request (by the agency, and by the
client within the agency's period, refused at the field once it ran out), and 権限の変更 on
アカウント詳細 (管理者にする, 管理者から外す, the last admin refused at the field).

Everything is found by what a user sees; waits are Playwright's auto-retrying `expect`. Each
page changed here is kept as a screenshot at 1280x800 and 390x844 under /tmp/shots-reopen/.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.clock import utcnow
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN, User
from chalicelib.services import requests, workflow
from tests.support.browser import heading, log_in, thread, token
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-reopen")
PHONE = {"width": 390, "height": 844}
LAST_ADMIN = ("この会社で有効な管理者はこのアカウントだけのため、管理者から外したり無効にしたりできません。"
              "先に別のアカウントを管理者にしてください。")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def shoot_phone(open_page, base_url: str, path: str, user_id: str, name: str) -> None:
    phone = open_page(viewport=PHONE)
    log_in(phone, base_url, user_id)
    phone.goto(base_url + path)
    shoot(phone, name)


def detail(page: Page, term: str):
    return (page.get_by_role("main").locator("dt", has_text=re.compile(f"^{re.escape(term)}$"))
            .locator("xpath=following-sibling::dd[1]"))


def completed_request(asker, staff, title: str) -> Request:
    created = make_request(asker, title=title)
    return requests.update_request(staff, created.request_id, requests.RequestChanges(status=workflow.DONE),
                                   revision=0)


def test_the_agency_reopens_a_completed_request(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社再開{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"依頼 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 太郎{tag}")
    request = completed_request(asker, staff, f"採用ページの修正{tag}")
    url = f"{live_server.url}/requests/{request.request_id}"

    log_in(page, live_server.url, staff.user_id)
    page.goto(url)
    panel = page.get_by_role("region", name="依頼の再開")
    expect(panel).to_contain_text("再開すると「対応中」に戻り")
    shoot(page, "request-agency-reopen-desktop")
    shoot_phone(open_page, live_server.url, f"/requests/{request.request_id}", staff.user_id,
                "request-agency-reopen-phone")
    panel.get_by_role("button", name="再開する").click()
    expect(page.get_by_text("依頼を再開しました。")).to_be_visible()
    expect(thread(page)).to_contain_text(f"担当 太郎{tag}が依頼を再開しました(「完了」から「対応中」へ)")
    expect(page.get_by_role("region", name="依頼の再開")).to_have_count(0)
    assert Request.find(request.request_id).status == workflow.IN_PROGRESS


def test_the_client_reopens_within_the_period_and_is_refused_after_it(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社期間{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"期間 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 次郎{tag}")
    first = completed_request(asker, staff, f"お知らせの差し替え{tag}")
    second = completed_request(asker, staff, f"ロゴの差し替え{tag}")

    log_in(page, live_server.url, asker.user_id)
    page.goto(f"{live_server.url}/requests/{first.request_id}")
    panel = page.get_by_role("region", name="依頼の再開")
    expect(panel).to_contain_text("まで再開できます")
    shoot(page, "request-client-reopen-desktop")
    shoot_phone(open_page, live_server.url, f"/requests/{first.request_id}", asker.user_id,
                "request-client-reopen-phone")
    panel.get_by_role("button", name="再開する").click()
    expect(page.get_by_text("依頼を再開しました。")).to_be_visible()
    assert Request.find(first.request_id).status == workflow.IN_PROGRESS

    # The page was opened within the period; by the click it has run out.
    page.goto(f"{live_server.url}/requests/{second.request_id}")
    button = page.get_by_role("region", name="依頼の再開").get_by_role("button", name="再開する")
    expect(button).to_be_visible()
    Request.find(second.request_id).update(actions=[Request.completed_at.set(utcnow() - timedelta(days=15))])
    button.click()
    refused = page.get_by_role("region", name="依頼の再開")
    expect(refused.locator(".field__error")).to_have_text(re.compile("^完了から14日が過ぎたため、お客様からは再開できません。"))
    expect(refused.get_by_role("button", name="再開する")).to_have_count(0)
    shoot(page, "request-client-reopen-expired-desktop")
    assert Request.find(second.request_id).status == workflow.DONE


def test_a_client_admin_makes_a_member_an_admin_and_back_and_the_last_admin_is_refused(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社権限{tag}")
    admin = make_client(company, role=CLIENT_ADMIN, name=f"権限 花子{tag}")
    member = make_client(company, name=f"一般 次郎{tag}")

    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/accounts/{member.user_id}")
    expect(heading(page, "アカウント詳細")).to_be_visible()
    expect(detail(page, "権限")).to_have_text("メンバー")
    shoot(page, "account-role-desktop")
    shoot_phone(open_page, live_server.url, f"/accounts/{member.user_id}", admin.user_id, "account-role-phone")
    page.get_by_role("region", name="権限の変更").get_by_role("button", name="管理者にする").click()
    expect(page.get_by_text("権限を変更しました。ご本人にメールでお知らせしました。")).to_be_visible()
    expect(detail(page, "権限")).to_have_text("クライアント管理者")
    page.get_by_role("region", name="権限の変更").get_by_role("button", name="管理者から外す").click()
    expect(detail(page, "権限")).to_have_text("メンバー")
    assert User.find(member.user_id).role == "client_member"

    # Now the admin is the company's only one: taking it away is refused at the button.
    page.goto(f"{live_server.url}/accounts/{admin.user_id}")
    page.get_by_role("region", name="権限の変更").get_by_role("button", name="管理者から外す").click()
    region = page.get_by_role("region", name="権限の変更")
    expect(region.locator("#role-error")).to_have_text(LAST_ADMIN)
    expect(region.get_by_role("button", name="管理者から外す")).to_have_accessible_description(
        re.compile(re.escape(LAST_ADMIN)))
    shoot(page, "account-role-last-admin-desktop")
    assert User.find(admin.user_id).role == CLIENT_ADMIN


def test_the_agency_admin_makes_staff_an_admin(page, live_server):
    tag = token()
    agency_admin = make_user(name=f"管理 一郎{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 三郎{tag}")
    log_in(page, live_server.url, agency_admin.user_id)
    page.goto(f"{live_server.url}/accounts/{staff.user_id}")
    expect(detail(page, "権限")).to_have_text("担当者")
    page.get_by_role("region", name="権限の変更").get_by_role("button", name="管理者にする").click()
    expect(detail(page, "権限")).to_have_text("管理者")
    shoot(page, "account-role-agency-desktop")
    page.goto(f"{live_server.url}/staff/new")
    expect(page.get_by_role("group", name="権限").get_by_label("担当者", exact=True)).to_be_checked()
    shoot(page, "staff-new-desktop")
    page.goto(f"{live_server.url}/settings")
    expect(page.get_by_label("お客様が再開できる期間(完了からの日数)")).to_have_value("14")
    shoot(page, "settings-desktop")
