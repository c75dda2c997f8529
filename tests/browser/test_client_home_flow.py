"""Issue 16 item 8 and two of item 10 in a real browser: the client's 管理画面 leads with
ご対応のお願い (見積を確認する, 確認する lead to the panel that answers them), 更新あり names what
changed, the thread puts the viewer's own side on the right for either side, and クライアント管理
lists each company's contract, balance and open requests.

Everything is found by what a user sees; waits are Playwright's auto-retrying `expect`. Each
page changed here is kept as a screenshot at 1280x800 and 390x844 under /tmp/shots-client/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, ledger, listings, requests, workflow
from chalicelib.services import pointrules as r
from tests.support.browser import heading, log_in, thread, token
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-client")
PHONE = {"width": 390, "height": 844}


def shoot(page: Page, name: str, folder: Path = SHOTS) -> None:
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def shoot_phone(open_page, base_url: str, path: str, user_id: str, name: str, folder: Path = SHOTS) -> Page:
    phone = open_page(viewport=PHONE)
    log_in(phone, base_url, user_id)
    phone.goto(base_url + path)
    shoot(phone, name, folder)
    return phone


def test_the_client_follows_each_awaited_action_to_its_panel(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社お願い{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"依頼 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 太郎{tag}")
    priced = make_request(asker, title=f"バナーの追加{tag}")
    estimates.save_estimate(staff, priced.request_id, [estimates.LineInput(name="バナー作成", points="3")], version=0)
    checked = make_request(asker, title=f"お知らせの更新{tag}")
    requests.update_request(staff, checked.request_id, requests.RequestChanges(status=workflow.WAITING), revision=0)
    make_request(asker, title=f"動きのない依頼{tag}")

    log_in(page, live_server.url, asker.user_id)
    awaited = page.get_by_role("region", name="ご対応のお願い")
    expect(awaited).to_contain_text(f"バナーの追加{tag}")
    expect(awaited).to_contain_text(f"お知らせの更新{tag}")
    expect(awaited).not_to_contain_text(f"動きのない依頼{tag}")
    shoot(page, "dashboard-awaited-desktop")
    phone = shoot_phone(open_page, live_server.url, "/", asker.user_id, "dashboard-awaited-phone")
    phone.get_by_role("region", name="ご対応のお願い").get_by_role("link", name="見積を確認する").click()
    expect(phone.get_by_role("region", name="見積")).to_be_in_viewport()
    shoot(phone, "request-estimate-from-awaited-phone")

    awaited.get_by_role("link", name="見積を確認する").click()
    expect(heading(page, f"#{priced.number} バナーの追加{tag}")).to_be_visible()
    estimate = page.get_by_role("region", name="見積")
    expect(estimate).to_be_in_viewport()
    expect(estimate.get_by_role("button", name="承認", exact=True)).to_be_visible()

    page.go_back()
    page.get_by_role("region", name="ご対応のお願い").get_by_role("link", name="確認する", exact=True).click()
    confirm = page.get_by_role("region", name="確認のお願い")
    expect(confirm).to_be_in_viewport()
    confirm.get_by_role("button", name="完了を確認する").click()
    expect(page.get_by_role("region", name="確認のお願い")).to_have_count(0)

    page.goto(live_server.url + "/")
    expect(page.get_by_role("region", name="ご対応のお願い")).not_to_contain_text(f"お知らせの更新{tag}")


def test_the_dashboard_says_what_changed(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社更新{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"更新 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 次郎{tag}")
    talked = make_request(asker, title=f"コメントの来た依頼{tag}")
    moved = make_request(asker, title=f"状態の変わった依頼{tag}")
    for created in (talked, moved):
        listings.view_request(asker, created.request_id)  # seen by the client
    requests.add_comment(staff, talked.request_id, "確認しました。")
    requests.update_request(staff, moved.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS), revision=0)

    log_in(page, live_server.url, asker.user_id)
    row = page.get_by_role("listitem").filter(has_text=f"コメントの来た依頼{tag}")
    expect(row).to_contain_text("更新あり:コメント")
    expect(page.get_by_role("listitem").filter(has_text=f"状態の変わった依頼{tag}")).to_contain_text("更新あり:状態")
    shoot(page, "dashboard-changed-desktop")
    shoot_phone(open_page, live_server.url, "/", asker.user_id, "dashboard-changed-phone")
    row.get_by_role("link").click()
    expect(thread(page)).to_contain_text("確認しました。")
    page.goto(live_server.url + "/")
    expect(page.get_by_role("listitem").filter(has_text=f"コメントの来た依頼{tag}")).not_to_contain_text("更新あり")


def test_the_dashboard_says_an_estimate_came_once_the_staff_saved_one(page, open_page, live_server):
    """The staff member saves a 見積 in the request page's editor; the client, who had already read
    the request, finds it on the 管理画面 marked 更新あり:見積 (the estimate, not a comment or the
    status), and the mark is gone once the request is opened again. Screenshots also in
    /tmp/shots-mail/."""
    mail_shots = Path("/tmp/shots-mail")
    tag = token()
    company = make_company(f"株式会社見積更新{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"見積 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 四郎{tag}")
    title = f"見積の届く依頼{tag}"
    created = make_request(asker, title=title)
    listings.view_request(asker, created.request_id)  # seen by the client

    agency = open_page()
    log_in(agency, live_server.url, staff.user_id)
    agency.goto(f"{live_server.url}/requests/{created.request_id}")
    estimate = agency.get_by_role("region", name=re.compile("^見積"))
    estimate.get_by_text("見積を作成する").click()
    estimate.get_by_role("group", name="項目 1").get_by_label("項目名").fill("バナー作成")
    estimate.get_by_role("group", name="項目 1").get_by_label("ポイント", exact=True).fill("3")
    estimate.get_by_role("button", name="見積を保存").click()
    expect(agency.get_by_role("status")).to_have_text("見積を保存しました。お客様の承認をお待ちください。")

    log_in(page, live_server.url, asker.user_id)
    row = page.get_by_role("region", name=re.compile("^新規")).get_by_role("listitem").filter(has_text=title)
    expect(row.get_by_text("更新あり")).to_have_text("更新あり:見積")  # the estimate only
    shoot(page, "dashboard-estimate-changed-desktop", mail_shots)
    shoot_phone(open_page, live_server.url, "/", asker.user_id, "dashboard-estimate-changed-phone", mail_shots)
    row.get_by_role("link").click()
    expect(page.get_by_role("region", name=re.compile("^見積"))).to_contain_text("バナー作成")
    page.goto(live_server.url + "/")
    expect(page.get_by_role("region", name=re.compile("^新規")).get_by_role("listitem").filter(has_text=title)) \
        .not_to_contain_text("更新あり")


def test_the_thread_puts_the_viewers_own_side_on_the_right(page, open_page, live_server):
    tag = token()
    company = make_company(f"株式会社左右{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"左右 花子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 三郎{tag}")
    created = make_request(asker, title=f"やりとりの向き{tag}")
    requests.add_comment(asker, created.request_id, "お客様からのご相談です。")
    requests.add_comment(staff, created.request_id, "制作会社からの回答です。")
    path = f"/requests/{created.request_id}"

    def sides(tab: Page) -> tuple[float, float]:
        client_box = thread(tab).get_by_role("listitem").filter(has_text="お客様からのご相談です。").bounding_box()
        agency_box = thread(tab).get_by_role("listitem").filter(has_text="制作会社からの回答です。").bounding_box()
        return client_box["x"] + client_box["width"], agency_box["x"] + agency_box["width"]

    log_in(page, live_server.url, asker.user_id)
    page.goto(live_server.url + path)
    expect(thread(page)).to_contain_text("制作会社からの回答です。")
    client_right, agency_right = sides(page)
    assert client_right > agency_right + 20  # the client's own message reaches the right edge
    shoot(page, "thread-client-desktop")
    phone = shoot_phone(open_page, live_server.url, path, asker.user_id, "thread-client-phone")
    client_right, agency_right = sides(phone)
    assert client_right > agency_right + 10

    agency = open_page()
    log_in(agency, live_server.url, staff.user_id)
    agency.goto(live_server.url + path)
    expect(thread(agency)).to_contain_text("お客様からのご相談です。")
    client_right, agency_right = sides(agency)
    assert agency_right > client_right + 20  # the agency's own message, for the agency
    shoot(agency, "thread-agency-desktop")
    shoot_phone(open_page, live_server.url, path, staff.user_id, "thread-agency-phone")


def test_the_client_list_shows_contract_balance_and_open_requests(page, open_page, live_server):
    tag = token()
    admin = make_user(role=AGENCY_ADMIN, name=f"管理 一郎{tag}")
    company = make_company(f"株式会社一覧{tag}")
    asker = make_client(company, role=CLIENT_ADMIN, name=f"一覧 花子{tag}")
    form = contracts.ContractForm(kind=r.PREPAID_MONTHLY, points="10", carry_over=True,
                                  starts_on=ledger.today_jst().isoformat())
    contracts.save_contract(admin, company.company_id, form)
    for index in range(2):
        make_request(asker, title=f"依頼 {index}{tag}")

    log_in(page, live_server.url, admin.user_id)
    page.get_by_role("link", name="クライアント管理").click()
    expect(heading(page, "クライアント管理")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=f"株式会社一覧{tag}")
    expect(row.get_by_role("cell").nth(1)).to_have_text("前払い(月ごと)、毎月 10 pt、繰り越しあり")
    expect(row.get_by_role("cell").nth(2)).to_have_text("10 pt")
    expect(row.get_by_role("cell").nth(3)).to_have_text("2件")
    shoot(page, "clients-desktop")
    shoot_phone(open_page, live_server.url, "/clients", admin.user_id, "clients-phone")
    row.get_by_role("link", name="2件").click()
    expect(page.get_by_role("listitem").filter(has_text=f"依頼 0{tag}")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=f"依頼 1{tag}")).to_be_visible()
