"""Issue 16 item 10, the points screens: the estimate's note per line, the ポイント表's 分類 chosen
from the existing ones, the 月次明細's month (never in the future, entries in the ポイント履歴's
order) and its CSV written as the screen writes points and months."""
from __future__ import annotations

import csv
import io
import re
import uuid

import pytest

from chalicelib.errors import Invalid
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, ledger, menu, statements
from chalicelib.services import pointrules as r
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user


@pytest.fixture
def company(aws):
    return make_company("株式会社明細")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="明細 花子")


@pytest.fixture
def staff(aws):
    return make_user(role=AGENCY_STAFF, name="担当 次郎")


@pytest.fixture
def admin(aws):
    return make_user(name="管理 一郎")


def plain(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _contract(admin, company):
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=ledger.today_jst().isoformat()))


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))


# The estimate: a note per line, menu items too.

def test_two_lines_of_one_menu_item_are_told_apart_by_their_notes(client, admin, staff, client_admin):
    item = menu.add_menu_item(admin, menu.MenuForm(new_category="画像", name="画像の差し替え", points="2"))
    request = make_request(client_admin, title="画像を2枚")
    estimates.save_estimate(staff, request.request_id, [
        estimates.LineInput(menu_item_id=item.item_id, quantity="1", note="トップのメイン画像"),
        estimates.LineInput(menu_item_id=item.item_id, quantity="1", note="会社概要の写真"),
        estimates.LineInput(name="撮影", points="2.5", note="半日")], version=0)
    saved = estimates.estimate_of(request.request_id)
    assert [line.note for line in saved.lines] == ["トップのメイン画像", "会社概要の写真", "半日"]
    page = plain(signed_in(client, client_admin).text(signed_in(client, client_admin).get(
        f"/requests/{request.request_id}")))
    assert "画像の差し替え トップのメイン画像" in page and "画像の差し替え 会社概要の写真" in page
    # The editor opens with the notes kept, so a revision does not lose them.
    staff_page = signed_in(client, staff)
    form = staff_page.text(staff_page.get(f"/requests/{request.request_id}"))
    assert 'name="note_0" type="text" value="トップのメイン画像"' in form
    assert 'name="note_1" type="text" value="会社概要の写真"' in form


def test_an_estimate_note_is_cleaned_like_every_single_line_text(staff, client_admin):
    request = make_request(client_admin, title="メモ")
    with pytest.raises(Invalid) as refused:
        estimates.save_estimate(staff, request.request_id, [
            estimates.LineInput(name="作業", points="1", note="<script>x</script>")], version=0)
    assert "note_0" in refused.value.errors


def test_a_returned_estimate_does_not_say_it_is_spent_at_completion(client, admin, staff, company, client_admin):
    _contract(admin, company)
    request = make_request(client_admin, title="差し戻し")
    saved = estimates.save_estimate(staff, request.request_id, [estimates.LineInput(name="作業", points="2")],
                                    version=0)
    web = signed_in(client, client_admin)
    assert "完了時に消費" in plain(web.text(web.get(f"/requests/{request.request_id}")))
    estimates.return_estimate(client_admin, request.request_id, version=int(saved.version), reason="高い")
    page = plain(web.text(web.get(f"/requests/{request.request_id}")))
    assert "完了時に" not in page and "差し戻した見積のポイントは消費されません" in page


# ポイント表: 分類 chosen, or added on purpose.

def test_a_menu_category_is_chosen_from_the_existing_ones_or_added_on_purpose(client, admin):
    # The ポイント表 is the agency's, shared by every test of the session: names of this test's own.
    suffix = uuid.uuid4().hex[:6]
    text, page_category = f"テキスト{suffix}", f"ページ{suffix}"
    menu.add_menu_item(admin, menu.MenuForm(new_category=text, name="文言の変更", points="1"))
    web = signed_in(client, admin)

    def post(fields):
        web.get("/points/menu")
        return web.post("/points/menu", fields)

    page = web.text(web.get("/points/menu"))
    assert f'<option value="{text}"' in page and "新しい分類を追加" in page
    # An existing one chosen.
    done = post({"category": text, "new_category": "", "name": "見出し", "points": "1"})
    assert done.status_code == 303
    # A new one, on purpose.
    done = post({"category": menu.NEW_CATEGORY, "new_category": page_category, "name": "ページ追加",
                                     "points": "5"})
    assert done.status_code == 303
    def ours():
        return [category.name for category in menu.menu(admin) if category.name.endswith(suffix)]

    assert ours() == [text, page_category]
    # A category typed into the select (not one of the list) is refused, and so is an empty new one.
    refused = post({"category": text + "い", "new_category": "", "name": "x", "points": "1"})
    assert refused.status_code == 400 and "分類を一覧から選ぶか" in web.text(refused)
    refused = post({"category": menu.NEW_CATEGORY, "new_category": "", "name": "x",
                                        "points": "1"})
    assert refused.status_code == 400 and "新しい分類の名前を入力してください" in web.text(refused)
    # Typed beside an existing choice (both are visible without JavaScript): said, not dropped.
    refused = post({"category": text, "new_category": "画像" + suffix, "name": "x", "points": "1"})
    assert refused.status_code == 400 and "「新しい分類を追加」を選んでください" in web.text(refused)
    # A "new" one that already exists (typed in full-width here) is the existing one, not a twin.
    twin = page_category.translate({code: code + 0xFEE0 for code in range(0x21, 0x7F)})
    done = post({"category": menu.NEW_CATEGORY, "new_category": twin, "name": "ページ削除",
                                     "points": "2"})
    assert done.status_code == 303 and ours() == [text, page_category]


# 月次明細: the month.

def test_the_statement_refuses_a_future_month_and_offers_no_step_into_it(client, client_admin):
    web = signed_in(client, client_admin)
    this_month = r.month_of(ledger.today_jst())
    future = r.next_month(this_month)
    refused = web.get(f"/points/statement?month={future}")
    assert refused.status_code == 400 and "先の月の明細はまだありません" in web.text(refused)
    with pytest.raises(Invalid):
        statements.statement(client_admin, client_admin.company_id, future)
    page = web.text(web.get(f"/points/statement?month={this_month}"))
    assert "次の月" not in plain(page) and "前の月" in plain(page)


def test_the_statement_month_is_chosen_with_a_year_and_a_month_select(client, client_admin):
    web = signed_in(client, client_admin)
    today = ledger.today_jst()
    page = web.text(web.get("/points/statement"))
    assert '<select id="month-year" name="year"' in page and '<select id="month-number" name="month_number"' in page
    assert 'type="month"' not in page
    previous = r.previous_month(r.month_of(today))
    chosen = web.get(f"/points/statement?year={previous[:4]}&month_number={int(previous[5:])}")
    assert chosen.status_code == 200
    assert f"{int(previous[:4])}年{int(previous[5:])}月" in plain(web.text(chosen))
    bad = web.get("/points/statement?year=20x6&month_number=3")
    assert bad.status_code == 400 and "月を正しく指定してください" in web.text(bad)


def test_statement_entries_follow_the_order_of_the_points_history_on_screen_and_in_csv(client, admin, company,
                                                                                       client_admin):
    _contract(admin, company)
    ledger.top_up(admin, company.company_id, points="2.5", note="追加1")
    ledger.top_up(admin, company.company_id, points="3", note="追加2")
    month = r.month_of(ledger.today_jst())
    history = [entry.note for entry in ledger.ledger(client_admin, company.company_id, limit=50)]
    view = statements.statement(client_admin, company.company_id, month)
    assert [entry.note for entry in view.entries] == history
    web = signed_in(client, client_admin)
    rows = _csv_rows(web.get(f"/points/statement.csv?month={month}").body)
    assert [row[4] for row in rows[1:1 + len(history)]] == history
    # The balance before and after the month still reads from the month's first and last entries.
    assert view.opening_tenths == 0 and view.closing_tenths == 155


def test_the_csv_writes_points_and_months_as_the_screen_does(client, admin, staff, company, client_admin):
    _contract(admin, company)
    ledger.top_up(admin, company.company_id, points="2.5", note="")
    month = r.month_of(ledger.today_jst())
    web = signed_in(client, client_admin)
    rows = _csv_rows(web.get(f"/points/statement.csv?month={month}").body)
    grant = next(row for row in rows if row[1] == "付与")
    topup = next(row for row in rows if row[1] == "チャージ")
    label = f"{int(month[:4])}年{int(month[5:])}月分の付与"
    assert grant[4] == label and grant[5] == "10" and grant[6] == "10"
    assert topup[5] == "2.5" and topup[6] == "12.5"
    assert label in plain(web.text(web.get(f"/points/statement?month={month}")))


def test_a_stored_grant_note_of_the_old_form_reads_as_the_screen_writes_months():
    assert r.readable_note("2026-12 分の付与") == "2026年12月分の付与"
    assert r.readable_note("2026-01 分の残りポイントの失効") == "2026年1月分の残りポイントの失効"
    assert r.readable_note("見積 2026-12 分") == "見積 2026-12 分"  # only a leading month is one of ours
    assert r.csv_points(100) == 10 and str(r.csv_points(25)) == "2.5" and str(r.csv_points(-40)) == "-4"
