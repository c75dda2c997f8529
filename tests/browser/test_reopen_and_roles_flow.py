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
from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, User
from chalicelib.services import contracts, estimates, ledger, requests, workflow
from chalicelib.services import pointrules as r
from chalicelib.templating import format_moment
from localdev import mailbox
from tests.support.browser import heading, log_in, thread, token
from tests.support.factories import make_client, make_company, make_request, make_user
from tests.support.walk import agency_settings_kept

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


# What the walks above leave out: a 取り下げ request reopened and its mail, a reopened request
# completed again and charged once, the period changed on 設定, the agency changing a client's
# role and registering a further agency admin, and the mail each account change sends.

def mail_to(address: str, subject_part: str) -> dict:
    """The newest mail to ``address`` with ``subject_part`` in its 件名. Local mode sends in-process
    before the page answers (config.mail_delivery "inline"), so it is there once the page shows
    the change."""
    return next(m for m in mailbox.messages() if address in m["to"] and subject_part in m["subject"])


def manage_panel(page: Page):
    return page.get_by_role("region", name="対応状況の変更")


def set_status(page: Page, label: str) -> None:
    manage_panel(page).get_by_label("状態").select_option(label=label)
    manage_panel(page).get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_have_text("依頼を更新しました。")
    expect(detail(page, "状態")).to_have_text(label)


def test_the_agency_reopens_a_withdrawn_request_and_the_requester_is_mailed(page, live_server):
    tag = token()
    company = make_company(f"株式会社取下{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"取下 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 四郎{tag}")
    filed = make_request(asker, title=f"バナーの差し替え{tag}")
    requests.withdraw_request(asker, filed.request_id, revision=0)

    log_in(page, live_server.url, staff.user_id)
    page.goto(f"{live_server.url}/requests/{filed.request_id}")
    panel = page.get_by_role("region", name="依頼の再開")
    expect(panel).to_contain_text("再開すると「新規」に戻り、依頼した方にメールでお知らせします。")
    shoot(page, "request-withdrawn-reopen-desktop")
    panel.get_by_role("button", name="再開する").click()
    expect(page.get_by_text("依頼を再開しました。")).to_be_visible()
    expect(detail(page, "状態")).to_have_text("新規")
    expect(thread(page)).to_contain_text(f"担当 四郎{tag}が依頼を再開しました(「取り下げ」から「新規」へ)")
    told = mail_to(asker.email, "【再開】")
    assert told["subject"].endswith(f"#{filed.number} バナーの差し替え{tag}")
    assert "依頼を再開し、状態を「取り下げ」から「新規」に変更しました。" in told["text"]


def test_a_request_reopened_and_completed_again_is_charged_once(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社二重{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"二重 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 五郎{tag}")
    contracts.save_contract(make_user(), company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    filed = make_request(asker, title=f"料金表の更新{tag}")
    estimates.save_estimate(staff, filed.request_id, [estimates.LineInput(name="表の差し替え", points="3")], version=0)

    log_in(page, live_server.url, staff.user_id)
    page.goto(f"{live_server.url}/requests/{filed.request_id}")
    set_status(page, "完了")
    client = open_page()
    log_in(client, live_server.url, asker.user_id)
    client.goto(f"{live_server.url}/requests/{filed.request_id}")
    client.get_by_role("region", name="依頼の再開").get_by_role("button", name="再開する").click()
    expect(client.get_by_text("依頼を再開しました。")).to_be_visible()
    page.reload()
    expect(detail(page, "状態")).to_have_text("対応中")
    set_status(page, "完了")

    client.goto(f"{live_server.url}/points")
    expect(heading(client, "残りポイント")).to_be_visible()
    expect(client.locator(".points-summary__value")).to_have_text("7")
    history = client.get_by_role("table").filter(has_text=f"料金表の更新{tag}")
    expect(history.get_by_role("row").filter(has_text=f"料金表の更新{tag}")).to_have_count(1)
    shoot(client, "points-charged-once-desktop")


def test_a_changed_reopen_period_holds_for_requests_completed_after_it(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社期間変更{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"期間 三郎{tag}")
    admin = make_user(name=f"管理 四郎{tag}")
    filed = make_request(asker, title=f"会社概要の更新{tag}")
    log_in(page, live_server.url, admin.user_id)
    with agency_settings_kept():
        page.goto(f"{live_server.url}/settings")
        page.get_by_label("あなたの表示名").fill(f"管理 四郎{tag}")
        page.get_by_label("お客様が再開できる期間(完了からの日数)").fill("3")
        page.get_by_role("button", name="保存する").click()
        expect(page.get_by_text("設定を保存しました。")).to_be_visible()
        expect(page.get_by_label("お客様が再開できる期間(完了からの日数)")).to_have_value("3")
        page.goto(f"{live_server.url}/requests/{filed.request_id}")
        set_status(page, "完了")
    done = Request.find(filed.request_id)
    assert int(done.reopen_days) == 3
    client = open_page()
    log_in(client, live_server.url, asker.user_id)
    client.goto(f"{live_server.url}/requests/{filed.request_id}")
    until = format_moment(done.completed_at + timedelta(days=3))
    expect(client.get_by_role("region", name="依頼の再開")).to_contain_text(f"{until}まで再開できます")


def test_the_agency_admin_changes_a_clients_role_and_the_account_is_mailed(page, live_server):
    tag = token()
    company = make_company(f"株式会社代理{tag}")
    make_client(company, role=CLIENT_ADMIN, name=f"代理 一子{tag}")
    member = make_client(company, name=f"代理 二郎{tag}")
    admin = make_user(name=f"管理 五郎{tag}")
    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/accounts/{member.user_id}")
    page.get_by_role("region", name="権限の変更").get_by_role("button", name="管理者にする").click()
    expect(page.get_by_text("権限を変更しました。ご本人にメールでお知らせしました。")).to_be_visible()
    expect(detail(page, "権限")).to_have_text("クライアント管理者")
    told = mail_to(member.email, "アカウントの権限が変わりました")
    assert "権限: メンバー → クライアント管理者" in told["text"] and f"変更した人: 管理 五郎{tag}" in told["text"]

    # 無効にする asks first, then the account is told why its login stopped working.
    page.get_by_role("button", name="無効にする").click()
    page.get_by_role("dialog").get_by_role("button", name="無効にする").click()
    expect(page.get_by_text("アカウントを無効にしました。このアカウントではログインできません。ご本人にメールでお知らせしました。")
           ).to_be_visible()
    shoot(page, "account-deactivated-desktop")
    told = mail_to(member.email, "アカウントの状態が変わりました")
    assert "状態: 有効 → 無効(ログインできません)" in told["text"]


def test_the_agency_admin_registers_a_further_agency_admin(page, live_server):
    tag = token()
    admin = make_user(name=f"管理 六郎{tag}")
    new_id = f"admin{tag}"
    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/staff/new")
    page.get_by_label("ユーザーID").fill(new_id)
    page.get_by_label("名前", exact=True).fill(f"管理 七子{tag}")
    page.get_by_label("名前(カナ)").fill("カンリ ナナコ")
    page.get_by_label("電話番号").fill("03-2222-3333")
    page.get_by_label("メールアドレス").fill(f"{new_id}@example.com")
    page.get_by_role("group", name="権限").get_by_label("管理者", exact=True).check()
    page.get_by_role("button", name="アカウント登録").click()
    expect(heading(page, "アカウント詳細")).to_be_visible()
    expect(detail(page, "権限")).to_have_text("管理者")
    assert User.find(new_id).role == AGENCY_ADMIN
    assert new_id in mail_to(f"{new_id}@example.com", "ログイン")["text"]
