"""The client's 管理画面 leads with what waits for it (ご対応のお願い), the lists say what changed
(更新あり: コメント, 見積, 状態), the thread puts the viewer's own side on the right, and
クライアント管理 shows each company's contract, balance and open requests (issue 16, items 8
and 10), against the emulator."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.models.points import Contract
from chalicelib.models.requests import OpenCount, Request, company_requests_partition
from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, ledger, listings, menu, requests, workflow
from chalicelib.services import pointrules as r
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user


@pytest.fixture
def company():
    return make_company("株式会社ひだまり")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="日野 陽子")


@pytest.fixture
def member(company):
    return make_client(company, name="森 健")


@pytest.fixture
def staff():
    return make_user(role=AGENCY_STAFF, name="制作 次郎")


@pytest.fixture
def admin():
    return make_user(role=AGENCY_ADMIN, name="制作 一郎")


def plain(page: str) -> str:
    """The page's text as people read it (tags removed, spaces collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def awaited_block(page: str) -> str:
    """The ご対応のお願い section of a dashboard, or "" when it is absent."""
    match = re.search(r'<section[^>]*aria-labelledby="awaited-title".*?</section>', page, re.S)
    return match.group(0) if match else ""


def row_of(page: str, title: str) -> str:
    """The list row (<li>) holding ``title``."""
    for row in re.findall(r'<li class="request-list__item.*?</li>', page, re.S):
        if title in row:
            return row
    raise AssertionError(f"no row for {title}")


def free_estimate(staff, request, points="3", version=0):
    return estimates.save_estimate(staff, request.request_id, [estimates.LineInput(name="バナー作成", points=points)],
                                   version=version)


# ご対応のお願い

def test_awaited_block_lists_estimates_to_approve_and_requests_to_confirm_with_their_actions(
        client, client_admin, staff):
    quiet = make_request(client_admin, title="動きのない依頼")
    priced = make_request(client_admin, title="見積のある依頼")
    checked = make_request(client_admin, title="確認してほしい依頼")
    web = signed_in(client, client_admin)
    assert awaited_block(web.text(web.get("/"))) == ""  # nothing waits: no block at all

    free_estimate(staff, priced, points="3")
    requests.update_request(staff, checked.request_id, requests.RequestChanges(status=workflow.WAITING), revision=0)
    block = awaited_block(web.text(web.get("/")))
    assert "ご対応のお願い" in block and "2件" in plain(block)
    assert "見積のある依頼" in block and "確認してほしい依頼" in block and quiet.title not in block
    assert f'href="/requests/{priced.request_id}#estimate-title"' in block and "見積を確認する" in block
    assert f'href="/requests/{checked.request_id}#confirm-title"' in block and "確認する" in block
    assert "3 pt" in plain(block)
    # Each action leads to the panel that answers it, with that panel's id.
    assert 'id="estimate-title"' in web.text(web.get(f"/requests/{priced.request_id}"))
    assert 'id="confirm-title"' in web.text(web.get(f"/requests/{checked.request_id}"))


def test_awaited_block_drops_what_was_answered(client, client_admin, staff):
    priced = make_request(client_admin, title="承認する依頼")
    saved = free_estimate(staff, priced)
    web = signed_in(client, client_admin)
    assert "承認する依頼" in awaited_block(web.text(web.get("/")))
    estimates.approve_estimate(client_admin, priced.request_id, version=int(saved.version))
    assert awaited_block(web.text(web.get("/"))) == ""


def test_agency_dashboard_has_no_awaited_block(client, client_admin, staff):
    free_estimate(staff, make_request(client_admin, title="見積のある依頼"))
    web = signed_in(client, staff)
    assert "ご対応のお願い" not in web.text(web.get("/"))


# 更新あり says what changed

def test_changed_marker_names_each_kind_of_change_since_last_seen(client, client_admin, member, staff):
    talked = make_request(client_admin, title="コメントのある依頼")
    priced = make_request(client_admin, title="見積のある依頼")
    moved = make_request(client_admin, title="状態の変わった依頼")
    web = signed_in(client, member)
    for created in (talked, priced, moved):
        web.get(f"/requests/{created.request_id}")  # seen: nothing is marked
    page = web.text(web.get("/"))
    for created in (talked, priced, moved):
        assert "更新あり" not in row_of(page, created.title)

    requests.add_comment(staff, talked.request_id, "確認しました")
    free_estimate(staff, priced)
    requests.update_request(staff, moved.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS), revision=0)
    page = web.text(web.get("/"))
    assert "更新あり:コメント" in plain(row_of(page, talked.title)).replace(" ", "")
    assert "更新あり:見積" in plain(row_of(page, priced.title)).replace(" ", "")
    assert "更新あり:状態" in plain(row_of(page, moved.title)).replace(" ", "")

    # Two kinds since the last look are both named; opening the request clears them.
    requests.add_comment(staff, moved.request_id, "着手しました")
    assert "更新あり:コメント・状態" in plain(row_of(web.text(web.get("/")), moved.title)).replace(" ", "")
    web.get(f"/requests/{moved.request_id}")
    assert "更新あり" not in row_of(web.text(web.get("/")), moved.title)


def test_changed_marker_ignores_internal_memos_and_the_viewers_own_comments(client, client_admin, staff):
    created = make_request(client_admin, title="メモだけの依頼")
    web = signed_in(client, client_admin)
    web.get(f"/requests/{created.request_id}")
    requests.update_request(staff, created.request_id, requests.RequestChanges(memo="社内だけの話"), revision=0)
    requests.add_comment(client_admin, created.request_id, "自分のコメント")
    assert "更新あり" not in row_of(web.text(web.get("/")), created.title)


def test_changed_marker_of_another_field_says_only_that_something_changed(client, client_admin, staff):
    created = make_request(client_admin, title="担当の決まった依頼")
    web = signed_in(client, client_admin)
    web.get(f"/requests/{created.request_id}")
    requests.update_request(staff, created.request_id, requests.RequestChanges(assignee_id=staff.user_id), revision=0)
    row = plain(row_of(web.text(web.get("/")), created.title)).replace(" ", "")
    assert "更新あり" in row and "更新あり:" not in row


def test_inbox_names_the_kind_of_change_for_the_agency_too(client, client_admin, staff):
    created = make_request(client_admin, title="お客様がコメントした依頼")
    web = signed_in(client, staff)
    web.get(f"/requests/{created.request_id}")
    requests.add_comment(client_admin, created.request_id, "追加でお願いします")
    page = web.text(web.get(f"/?company={created.company_id}"))
    assert "更新あり:コメント" in plain(row_of(page, created.title)).replace(" ", "")


def test_list_api_still_says_changed(client, client_admin, staff):
    created = make_request(client_admin, title="APIで見る依頼")
    requests.add_comment(staff, created.request_id, "ご確認ください")
    listed = {item.request.request_id: item for _, group in listings.client_dashboard(client_admin) for item in group}
    assert listed[created.request_id].changed and listed[created.request_id].kinds == ("comment",)


# The thread: the viewer's own side on the right

def test_thread_puts_the_viewers_own_side_on_the_right_for_both_sides(client, client_admin, staff):
    created = make_request(client_admin)
    requests.add_comment(client_admin, created.request_id, "お客様の発言")
    requests.add_comment(staff, created.request_id, "制作会社の回答")

    def sides(user):
        page = signed_in(client, user).text(signed_in(client, user).get(f"/requests/{created.request_id}"))
        found = {}
        for classes, text in re.findall(r'<li class="thread__comment ([^"]+)".*?<div class="thread__text">(.*?)</div>',
                                        page, re.S):
            found[text.strip()] = "mine" if "thread__comment--mine" in classes else "theirs"
        return found

    assert sides(client_admin) == {"お客様の発言": "mine", "制作会社の回答": "theirs"}
    assert sides(staff) == {"お客様の発言": "theirs", "制作会社の回答": "mine"}


def test_comment_added_through_the_api_is_drawn_on_the_authors_side(client, client_admin):
    created = make_request(client_admin)
    web = signed_in(client, client_admin)
    response = web.api("POST", f"/api/requests/{created.request_id}/comments", {"body": "APIからのコメント"})
    assert response.status_code == 201
    assert "thread__comment--mine" in json.loads(response.body)["html"]


# クライアント管理

def test_client_list_shows_each_companys_contract_balance_and_open_requests(client, admin):
    company = make_company("契約のある会社")
    asker = make_client(company, role=CLIENT_ADMIN)
    form = contracts.ContractForm(kind=r.PREPAID_MONTHLY, points="12", carry_over=True,
                                  starts_on=ledger.today_jst().isoformat())
    contracts.save_contract(admin, company.company_id, form)
    opened = [make_request(asker, title=f"依頼 {i}") for i in range(3)]
    requests.withdraw_request(asker, opened[0].request_id, revision=0)
    bare = make_company("契約のない会社")

    page = signed_in(client, admin).text(signed_in(client, admin).get("/clients"))
    cells = lambda name: [plain(c).strip() for c in re.findall(  # noqa: E731
        r"<td\b[^>]*>(?:(?!</tr>).)*?</td>",
        re.search(rf"<tr>\s*<td[^>]*><a[^>]*>{name}</a>.*?</tr>", page, re.S).group(0), re.S)]
    contract_cells = cells("契約のある会社")
    assert contract_cells[1] == contracts.describe(Contract.current(company.company_id))
    assert contract_cells[1].startswith("前払い(月ごと)") and "毎月 12 pt" in contract_cells[1]
    assert contract_cells[2] == "12 pt" and contract_cells[3] == "2件"
    assert cells("契約のない会社")[1:4] == ["契約なし", "0 pt", "0件"]
    assert bare.company_id in page
    for heading in ("クライアント", "契約", "残りポイント", "進行中の依頼", "登録日"):
        assert f">{heading}<" in page
        assert f'<td data-label="{heading}"' in page  # the label each cell shows in the phone's cards


def test_open_request_count_follows_every_move_in_and_out_of_the_open_statuses(client_admin, staff, admin, company):
    def kept():
        return int(OpenCount.find(company.company_id).count)

    def counted():
        return Request.gsi1.count(company_requests_partition(company.company_id),
                                  Request.gsi1sk < "5", consistent_read=False)

    first, second = make_request(client_admin), make_request(client_admin)
    assert kept() == 2
    requests.update_request(staff, first.request_id, requests.RequestChanges(status=workflow.WAITING), revision=0)
    assert kept() == 2  # open to open
    requests.confirm_request(client_admin, first.request_id, revision=1)
    assert kept() == 1
    requests.reopen_request(staff, first.request_id, revision=2)
    assert kept() == 2
    requests.withdraw_request(client_admin, second.request_id, revision=0)
    assert kept() == 1
    requests.update_request(staff, second.request_id, requests.RequestChanges(status=workflow.NEW), revision=1)
    requests.update_request(staff, second.request_id, requests.RequestChanges(memo="メモだけ"), revision=2)
    assert kept() == 2 == counted()


def test_open_requests_of_a_company_older_than_the_count_are_counted_once(client_admin, admin, company):
    for i in range(3):
        make_request(client_admin, title=f"以前の依頼 {i}")
    OpenCount.find(company.company_id).delete()  # as a company whose requests predate the count
    make_request(client_admin, title="その後の依頼")  # the count restarts from this one alone
    assert int(OpenCount.find(company.company_id).count) == 1

    rows, _ = listings.company_rows(admin, limit=200)
    assert {row.company.company_id: row.open_requests for row in rows}[company.company_id] == 4
    stored = OpenCount.find(company.company_id)
    assert stored.counted and int(stored.count) == 4
    make_request(client_admin, title="さらにその後の依頼")
    rows, _ = listings.company_rows(admin, limit=200)
    assert {row.company.company_id: row.open_requests for row in rows}[company.company_id] == 5


def test_menu_is_not_needed_for_estimates_to_be_awaited(client, client_admin, staff, admin):
    """A 見積 made of menu items waits for 承認 like a free-form one."""
    # A category of its own, added on purpose (the form's 「新しい分類を追加」): the test must not rely
    # on another file having added 「テキスト」 to this worker's ポイント表 first.
    item = menu.add_menu_item(admin, menu.MenuForm(category=menu.NEW_CATEGORY, new_category="見積テスト用",
                                                   name="文言の変更", points="1",
                                                       description="1か所の文言を差し替えます"))
    created = make_request(client_admin, title="メニューで見積った依頼")
    estimates.save_estimate(staff, created.request_id, [estimates.LineInput(menu_item_id=item.item_id, quantity="2")],
                            version=0)
    web = signed_in(client, client_admin)
    assert "メニューで見積った依頼" in awaited_block(web.text(web.get("/")))
