"""Maintenance contracts and points against the emulator: the ポイント表, contracts, the ledger and
its balance (also under concurrent writes), estimates with 承認 / 差し戻し, the charge at 完了,
the monthly statement (page and CSV) and isolation between companies."""
from __future__ import annotations

import csv
import io
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import unquote

import pytest

from chalicelib.models.points import Balance, LedgerEntry
from chalicelib.models.urgency import UrgencyRuleAttribute, UrgencySettings
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import pointrules as r
from chalicelib.services import contracts, estimates, ledger, listings, menu, requests, statements, workflow
from chalicelib.errors import Conflict, Invalid, NotFound
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user

JST = timezone(timedelta(hours=9))


@pytest.fixture
def company(aws):
    return make_company("株式会社ポイント")


@pytest.fixture
def other_company(aws):
    return make_company("株式会社よそ")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="依頼 花子")


@pytest.fixture
def staff(aws):
    return make_user(role=AGENCY_STAFF, name="担当 次郎")


@pytest.fixture
def admin(aws):
    return make_user(name="管理 一郎")


@pytest.fixture
def menu_item(admin):
    return menu.add_menu_item(admin, menu.MenuForm(new_category="テキスト", name="文言の変更", points="1",
                                                       description="1か所の文言を差し替えます"))


def plain(page: str) -> str:
    """The page's text as people read it (tags removed, spaces collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def monthly_contract(admin, company, *, points_text="10", approval=False, **extra):
    today = ledger.today_jst()
    form = contracts.ContractForm(kind=r.PREPAID_MONTHLY, points=points_text, carry_over=True, starts_on=today.isoformat(),
                               approval_required=approval, **extra)
    return contracts.save_contract(admin, company.company_id, form)


def ledger_sum(company_id: str) -> int:
    return sum(int(e.delta_tenths) for e in LedgerEntry.latest(company_id, limit=10_000))


def estimate(staff, request, rows, version=0):
    return estimates.save_estimate(staff, request.request_id, rows, version=version)


def complete(staff, request_id):
    current = listings.view_request(staff, request_id).request
    return requests.update_request(staff, request_id, requests.RequestChanges(status=workflow.DONE),
                                   revision=current.revision)


# ポイント表

def test_the_menu_is_shared_with_every_client_and_edited_by_the_agency_admin(client, admin, client_admin, menu_item):
    web = signed_in(client, client_admin)
    page = web.text(web.get("/points/menu"))
    assert "ポイント表" in page and "文言の変更" in page and "1か所の文言を差し替えます" in page
    assert "0.5ポイント単位に切り上げ" in page
    assert "作業を追加" not in page  # clients read it only
    staff_web = signed_in(client, admin)
    staff_web.get("/points/menu")
    refused = staff_web.post("/points/menu", {"category": "", "new_category": "画像", "name": "", "points": "1.25", "description": ""})
    body = staff_web.text(refused)
    assert refused.status_code == 400
    assert "入力してください。" in body and "小数は第1位まで" in body and 'value="画像"' in body  # typed input kept
    added = staff_web.post("/points/menu", {"category": "", "new_category": "画像", "name": "画像の差し替え", "points": "2", "description": ""})
    assert added.status_code == 303
    assert "画像の差し替え" in web.text(web.get("/points/menu"))


def test_a_stopped_menu_item_leaves_the_menu_but_not_old_estimates(client, admin, staff, client_admin, menu_item):
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(menu_item_id=menu_item.item_id, quantity="2")])
    menu.update_menu_item(admin, menu_item.item_id, menu.MenuForm(category="テキスト", name="文言の変更", points="3"),
                            active=False)
    assert menu_item.item_id not in {i.item_id for c in menu.menu(client_admin) for i in c.items}
    saved = estimates.estimate_of(request.request_id)
    assert saved.lines[0].name == "文言の変更" and int(saved.lines[0].unit_tenths) == 10 and int(saved.total_tenths) == 20
    with pytest.raises(Invalid) as refused:
        estimate(staff, request, [estimates.LineInput(menu_item_id=menu_item.item_id, quantity="1")], version=1)
    assert "menu_0" in refused.value.errors


# Contracts

def test_a_contract_is_versioned_and_grants_its_first_month_once(client, admin, company, client_admin):
    monthly_contract(admin, company, points_text="10")
    monthly_contract(admin, company, points_text="20", approval=True)  # a revision in the same month
    history = contracts.contract_history(admin, company.company_id)
    assert [int(c.points_tenths) for c in history] == [200, 100]  # newest first, the old one kept
    summary = statements.summary(client_admin, company.company_id)
    assert int(summary.balance.tenths) == 100  # the month was granted by the first version, not again
    entries = LedgerEntry.latest(company.company_id)
    assert [e.entry_kind for e in entries] == [r.GRANT]
    page = signed_in(client, admin).get(f"/clients/{company.company_id}")
    body = page.body.decode()
    assert "前払い(月ごと)、毎月 20 pt、繰り越しあり、見積承認が必要" in body and "現在の契約" in body
    assert "毎月 10 pt" in body  # history


def test_contract_form_errors_are_shown_with_the_input_kept(client, admin, company):
    web = signed_in(client, admin)
    web.get(f"/clients/{company.company_id}")
    refused = web.post(f"/clients/{company.company_id}/contract",
                       {"kind": r.PREPAID_TERM, "points": "abc", "starts_on": "2026-12-10", "ends_on": "2026-12-01",
                        "note": "年間契約"})
    body = web.text(refused)
    assert refused.status_code == 400
    assert "数字で入力してください" in body and "終了日は開始日以降の日付にしてください。" in body
    assert 'value="abc"' in body and 'value="年間契約"' in body and 'value="prepaid_term" checked' in body
    refused = web.post(f"/clients/{company.company_id}/contract", {"kind": r.POSTPAID, "unit_price": "0",
                                                                  "starts_on": "2026-12-01"})
    assert refused.status_code == 400 and "単価" in web.text(refused)


def test_a_monthly_contract_without_carry_over_expires_the_rest_on_the_next_month(admin, company):
    start = datetime(2026, 10, 20, 3, tzinfo=timezone.utc)
    form = contracts.ContractForm(kind=r.PREPAID_MONTHLY, points="10", carry_over=False, starts_on="2026-10-20")
    contracts.save_contract(admin, company.company_id, form, now=start)
    ledger.top_up(admin, company.company_id, points="5", note="追加購入", now=start)
    balance = ledger.settle(company.company_id, now=datetime(2026, 12, 2, tzinfo=timezone.utc))
    entries = list(reversed(LedgerEntry.latest(company.company_id)))
    assert [(e.entry_kind, e.month, int(e.delta_tenths), int(e.balance_after_tenths)) for e in entries] == [
        (r.GRANT, "2026-10", 100, 100), (r.TOPUP, "2026-10", 50, 150),
        (r.EXPIRY, "2026-10", -150, 0), (r.GRANT, "2026-11", 100, 100),
        (r.EXPIRY, "2026-11", -100, 0), (r.GRANT, "2026-12", 100, 100)]
    assert int(balance.tenths) == 100 == ledger_sum(company.company_id)
    # Reading again makes nothing twice.
    ledger.settle(company.company_id, now=datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert len(LedgerEntry.latest(company.company_id)) == 6


def test_topups_and_adjustments_are_new_entries_with_their_reasons(client, admin, company):
    web = signed_in(client, admin)
    web.get(f"/clients/{company.company_id}")
    refused = web.post(f"/clients/{company.company_id}/adjust", {"adjust_points": "-2", "adjust_note": ""})
    assert refused.status_code == 400 and 'value="-2"' in web.text(refused) and "入力してください。" in web.text(refused)
    assert web.post(f"/clients/{company.company_id}/topup", {"topup_points": "12.5", "topup_note": "追加"}).status_code == 303
    web.get(f"/clients/{company.company_id}")
    assert web.post(f"/clients/{company.company_id}/adjust",
                    {"adjust_points": "-2", "adjust_note": "二重登録の訂正"}).status_code == 303
    entries = list(reversed(LedgerEntry.latest(company.company_id)))
    assert [(e.entry_kind, int(e.delta_tenths), e.note) for e in entries] == [
        (r.TOPUP, 125, "追加"), (r.ADJUSTMENT, -20, "二重登録の訂正")]
    assert int(Balance.load(company.company_id).tenths) == 105


def test_staff_may_not_top_up_or_change_contracts(staff, company):
    from chalicelib.errors import Forbidden
    with pytest.raises(Forbidden):
        ledger.top_up(staff, company.company_id, points="5", note="")
    with pytest.raises(Forbidden):
        contracts.save_contract(staff, company.company_id, contracts.ContractForm(starts_on="2026-12-01", points="1"))


# Estimates, 承認 / 差し戻し, the charge

def test_estimate_approval_and_the_charge_at_completion(client, admin, staff, company, client_admin, menu_item):
    monthly_contract(admin, company, points_text="10", approval=True)
    request = make_request(client_admin)
    saved = estimate(staff, request, [estimates.LineInput(menu_item_id=menu_item.item_id, quantity="3"),
                                      estimates.LineInput(name="お問い合わせフォームの項目追加", points="2.5")])
    assert int(saved.total_tenths) == 55 and saved.state == "pending"
    # The contract says work waits for the approval.
    with pytest.raises(Invalid) as refused:
        requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS),
                                revision=0)
    assert "見積の承認が必要" in refused.value.errors["status"]
    # The client sees the effect on its balance.
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{request.request_id}"))
    assert "文言の変更" in page and "お問い合わせフォームの項目追加" in page and "5.5 pt" in page
    assert re.search(r"残り <strong>10 pt</strong> → <strong>4.5 pt</strong>", page)
    # 差し戻し needs a reason; the typed reason survives a refusal.
    refused = web.post(f"/requests/{request.request_id}/estimate/return", {"estimate_version": "1", "reason": " "})
    assert refused.status_code == 400 and "入力してください。" in web.text(refused)
    assert web.post(f"/requests/{request.request_id}/estimate/return",
                    {"estimate_version": "1", "reason": "フォームの件は今回見送ります"}).status_code == 303
    with pytest.raises(Invalid) as refused:
        requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE), revision=0)
    assert "差し戻されています" in refused.value.errors["status"]
    view = listings.view_request(staff, request.request_id)
    assert any(e.body == "【見積の差し戻し】フォームの件は今回見送ります" for e in view.entries)
    # Revised, approved, worked on, completed: charged once.
    estimate(staff, request, [estimates.LineInput(menu_item_id=menu_item.item_id, quantity="3")], version=2)
    web.get(f"/requests/{request.request_id}")
    stale = web.post(f"/requests/{request.request_id}/estimate/approve", {"estimate_version": "1", "confirmed": "1"})
    assert stale.status_code == 409  # an answer to an estimate that has changed since is refused
    assert web.post(f"/requests/{request.request_id}/estimate/approve", {"estimate_version": "3", "confirmed": "1"}).status_code == 303
    moved = requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS),
                                    revision=0)
    complete(staff, request.request_id)
    assert int(Balance.load(company.company_id).tenths) == 70 == ledger_sum(company.company_id)
    charge = LedgerEntry.latest(company.company_id)[0]
    assert (charge.entry_kind, int(charge.delta_tenths), charge.request_id, int(charge.request_number)) == (
        r.CHARGE, -30, request.request_id, int(request.number))
    # Reopened and completed again: never charged twice.
    reopened = requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS),
                                       revision=moved.revision + 1)
    requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE),
                            revision=reopened.revision)
    assert int(Balance.load(company.company_id).tenths) == 70
    thread = listings.view_request(client_admin, request.request_id).entries
    fields = [e.field for e in thread if e.entry_kind == "change"]
    assert fields.count("estimate") == 2 and fields.count("estimate_state") == 2 and fields.count("points") == 1
    page = plain(web.text(web.get("/")))
    assert "残りポイント 7 pt" in page and "消費" in page and f"#{int(request.number)}" in page


def test_the_urgency_multiplier_is_fixed_by_the_filing_day(client, staff, company, client_admin):
    settings = UrgencySettings.load()
    saved_rules = list(settings.rules)
    settings.rules = [UrgencyRuleAttribute(within_days=15, multiplier="1.5")]
    settings.save()
    try:
        due = (ledger.today_jst() + timedelta(days=14)).isoformat()  # about 10 business days ahead
        urgent = make_request(client_admin, due_date=due)
        saved = estimate(staff, urgent, [estimates.LineInput(name="バナー作成", points="3")])
        assert Decimal(saved.multiplier) == Decimal("1.5") and "×1.5" in saved.urgency_label
        assert int(saved.subtotal_tenths) == 30 and int(saved.total_tenths) == 45
        web = signed_in(client, client_admin)
        page = plain(web.text(web.get(f"/requests/{urgent.request_id}")))
        assert f"小計 3 pt {saved.urgency_label} +1.5 pt 合計 4.5 pt" in page
        assert "0.5ポイント単位に切り上げ" in page
        # Filed a month ago for the same day: the client gave a long lead time, however late
        # the estimate is made.
        early = requests.create_request(client_admin, requests.RequestForm(title="早めの依頼", body="内容", due_date=due),
                                        now=datetime.now(timezone.utc) - timedelta(days=30))
        relaxed = estimate(staff, early, [estimates.LineInput(name="バナー作成", points="3")])
        assert Decimal(relaxed.multiplier) == 1 and relaxed.urgency_label == "" and int(relaxed.total_tenths) == 30
    finally:
        settings = UrgencySettings.load()
        settings.rules = saved_rules
        settings.save()


def test_a_withdrawn_request_charges_nothing(admin, staff, company, client_admin):
    monthly_contract(admin, company)
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(name="作業", points="4")])
    estimates.approve_estimate(client_admin, request.request_id, version=1)
    requests.withdraw_request(client_admin, request.request_id, revision=0)
    assert int(Balance.load(company.company_id).tenths) == 100
    assert [e.entry_kind for e in LedgerEntry.latest(company.company_id)] == [r.GRANT]


def test_concurrent_completions_of_one_request_charge_once(admin, staff, company, client_admin):
    monthly_contract(admin, company)
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(name="作業", points="2")])
    outcomes = []

    def finish():
        try:
            requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE),
                                    revision=0)
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=finish) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("done") == 1 and outcomes.count("conflict") == 5
    assert int(Balance.load(company.company_id).tenths) == 80 == ledger_sum(company.company_id)


def test_a_reopened_and_completed_again_request_is_charged_once(admin, staff, company, client_admin):
    """The charge mark (one per request, written with the charge) keeps 完了 -> 再開 -> 完了 at one
    charge; the estimate stays locked once charged, so reopening cannot raise the price either."""
    monthly_contract(admin, company)
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(name="作業", points="3")])
    done = requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE), revision=0)
    reopened = requests.reopen_request(client_admin, request.request_id, revision=done.client_revision)
    assert reopened.status == workflow.IN_PROGRESS
    with pytest.raises(Invalid):
        estimate(staff, request, [estimates.LineInput(name="作業", points="9")], version=1)
    requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE),
                            revision=int(reopened.revision))
    assert int(Balance.load(company.company_id).tenths) == 70 == ledger_sum(company.company_id)
    assert [e.entry_kind for e in LedgerEntry.latest(company.company_id)].count(r.CHARGE) == 1


def test_concurrent_charges_and_topups_keep_the_balance_equal_to_the_ledger(admin, staff, company, client_admin):
    """Threat: two writes reading the same balance and each writing its own result, so one is lost
    (or a charge counted twice). Every write is conditioned on the balance it read."""
    monthly_contract(admin, company, points_text="100")
    filed = []
    for index in range(8):
        request = make_request(client_admin, title=f"同時に完了する依頼 {index}")
        estimate(staff, request, [estimates.LineInput(name="作業", points="1.5")])
        filed.append(request)
    errors = []

    def charge(request):
        try:
            requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE), revision=0)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def top_up():
        try:
            ledger.top_up(admin, company.company_id, points="1", note="同時チャージ")
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=charge, args=(request,)) for request in filed]
    threads += [threading.Thread(target=top_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = LedgerEntry.latest(company.company_id, limit=100)
    assert sorted(e.entry_kind for e in entries).count(r.CHARGE) == 8
    assert int(Balance.load(company.company_id).tenths) == 1000 - 8 * 15 + 8 * 10 == ledger_sum(company.company_id)
    # In the order they were written, each entry starts from the balance the one before left:
    # nothing was computed from a stale balance.
    ordered = sorted(entries, key=lambda e: int(e.balance_version))
    assert [int(e.balance_version) for e in ordered] == list(range(1, len(ordered) + 1))
    running = 0
    for entry in ordered:
        assert int(entry.balance_after_tenths) == running + int(entry.delta_tenths)
        running = int(entry.balance_after_tenths)


def test_estimate_validation_names_the_row(client, staff, client_admin):
    request = make_request(client_admin)
    web = signed_in(client, staff)
    web.get(f"/requests/{request.request_id}")
    refused = web.post(f"/requests/{request.request_id}/estimate",
                       {"estimate_version": "0", "menu_0": "", "name_0": "特集ページ", "points_0": "x", "qty_0": "0",
                        "menu_1": "", "name_1": "", "points_1": "", "qty_1": ""})
    body = web.text(refused)
    assert refused.status_code == 400 and "数量は1から999までの整数" in body and 'value="特集ページ"' in body
    empty = web.post(f"/requests/{request.request_id}/estimate", {"estimate_version": "0", "menu_0": "", "name_0": ""})
    assert empty.status_code == 400 and "見積の項目を1つ以上入力してください" in web.text(empty)



def test_an_estimate_row_never_drops_what_was_typed_in_it(client, staff, client_admin, menu_item):
    """A name or points typed beside a chosen menu item, or a quantity on a row with nothing else,
    would be ignored if saved: the row gets a message instead, and the input stays."""
    request = make_request(client_admin)
    web = signed_in(client, staff)
    web.get(f"/requests/{request.request_id}")
    refused = web.post(f"/requests/{request.request_id}/estimate",
                       {"estimate_version": "0", "menu_0": menu_item.item_id, "name_0": "追加の文言", "qty_0": "2",
                        "menu_1": "", "name_1": "", "points_1": "", "qty_1": "3"})
    body = web.text(refused)
    assert refused.status_code == 400
    assert 'id="name_0-error"' in body and "個別見積にするときは" in body and 'value="追加の文言"' in body
    assert 'id="name_1-error"' in body and 'id="points_1-error"' in body and 'value="3"' in body
    assert estimates.estimate_of(request.request_id) is None


def test_a_unit_price_typed_for_a_prepaid_contract_is_still_checked(client, admin, company):
    web = signed_in(client, admin)
    web.get(f"/clients/{company.company_id}")
    refused = web.post(f"/clients/{company.company_id}/contract",
                       {"kind": r.PREPAID_MONTHLY, "points": "10", "unit_price": "千円", "starts_on": "2026-12-01"})
    assert refused.status_code == 400 and 'id="unit_price-error"' in web.text(refused)


# The monthly statement

def test_the_statement_and_its_csv(client, admin, staff, company, client_admin):
    monthly_contract(admin, company)
    request = make_request(client_admin, title="=HYPERLINK(\"http://evil\")")
    estimate(staff, request, [estimates.LineInput(name="作業", points="2.5")])
    complete(staff, request.request_id)
    month = r.month_of(ledger.today_jst())
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/points/statement?month={month}"))
    assert "月次明細" in page and "CSVダウンロード" in page and "2.5 pt" in page
    response = web.get(f"/points/statement.csv?month={month}")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f'filename="statement-{month}.csv"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"株式会社ポイント_{month}_月次明細.csv"
    assert response.body.startswith(b"\xef\xbb\xbf") and b"\r\n" in response.body
    rows = list(csv.reader(io.StringIO(response.body[3:].decode("utf-8"))))
    assert rows[0] == ["日時", "種類", "依頼番号", "件名", "内容", "ポイント", "残りポイント"]
    assert [row[1] for row in rows[1:3]] == ["消費", "付与"]  # newest first, as the ポイント履歴
    assert rows[1][3] == "'=HYPERLINK(\"http://evil\")" and rows[1][5] == "-2.5" and rows[1][6] == "7.5"
    assert rows[-1][:2] == ["合計", "利用ポイント"] and rows[-1][5] == "2.5"
    bad = web.get("/points/statement?month=2026-13")
    assert bad.status_code == 400 and "月を正しく指定してください" in web.text(bad)


def test_a_postpaid_statement_shows_the_amount(admin, staff, company, client_admin):
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(kind=r.POSTPAID, unit_price="5000",
                                                                       starts_on="2026-01-01"))
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(name="作業", points="1.5")])
    complete(staff, request.request_id)
    view = statements.statement(client_admin, company.company_id, r.month_of(ledger.today_jst()))
    assert view.usage_tenths == 15 and view.amount == 7500
    summary = statements.summary(client_admin, company.company_id)
    assert summary.month_usage_tenths == 15 and summary.month_amount == 7500
    csv_text = statements.statement_csv(view)[3:].decode()
    assert "請求額(円)" in csv_text and "7500" in csv_text
    # A correction of a postpaid month changes what is billed.
    ledger.adjust(admin, company.company_id, points="0.5", note="作業時間の訂正")
    view = statements.statement(client_admin, company.company_id, r.month_of(ledger.today_jst()))
    assert view.usage_tenths == 10 and view.amount == 5000
    assert statements.summary(client_admin, company.company_id).month_amount == 5000


# Isolation

def test_a_client_sees_nothing_of_another_company(client, admin, staff, company, other_company, client_admin):
    """Threat: a client reading another company's balance, ledger, contract or statement by
    changing an ID in the URL, or learning the company exists."""
    monthly_contract(admin, other_company, points_text="99")
    other = make_client(other_company, role=CLIENT_ADMIN)
    other_request = make_request(other)
    estimate(staff, other_request, [estimates.LineInput(name="よその作業", points="1")])
    web = signed_in(client, client_admin)
    for path in (f"/clients/{other_company.company_id}", f"/clients/{other_company.company_id}/statement",
                 f"/clients/{other_company.company_id}/statement.csv", f"/requests/{other_request.request_id}"):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "株式会社よそ" not in web.text(response) and "よその作業" not in web.text(response)
    for path in ("/", "/points", "/points/statement"):
        body = web.text(web.get(path))
        assert "99 pt" not in body and "株式会社よそ" not in body
    web.get(f"/requests/{make_request(client_admin).request_id}")
    answered = web.post(f"/requests/{other_request.request_id}/estimate/approve", {"estimate_version": "1", "confirmed": "1"})
    assert answered.status_code == 404
    assert estimates.estimate_of(other_request.request_id).state == "pending"
    with pytest.raises(NotFound):
        statements.statement(client_admin, other_company.company_id, "2026-12")


def test_the_agency_overview_lists_every_company(client, admin, company, other_company):
    monthly_contract(admin, company, points_text="10")
    web = signed_in(client, admin)
    body = web.text(web.get("/points"))
    assert "ポイント利用状況" in body and "株式会社ポイント" in body and "株式会社よそ" in body
    assert "前払い(月ごと)、毎月 10 pt" in body


# Mail

def test_an_estimate_is_mailed_to_the_requester_and_a_return_to_the_assignee(admin, staff, company, client_admin):
    from localdev import mailbox

    request = make_request(client_admin, title=f"見積のメール {uuid.uuid4().hex[:6]}")
    requests.update_request(admin, request.request_id, requests.RequestChanges(assignee_id=staff.user_id), revision=0)
    estimate(staff, request, [estimates.LineInput(name="バナーの差し替え", points="2", quantity="2")])
    estimates.return_estimate(client_admin, request.request_id, version=1, reason="1枚で十分です")
    mails = [m for m in reversed(mailbox.messages()) if request.title in m["subject"]]
    sent_estimate = [m for m in mails if "見積をお送りしました" in m["text"]]
    assert [m["to"] for m in sent_estimate] == [[client_admin.email]]
    assert "・バナーの差し替え × 2: 4 pt" in sent_estimate[0]["text"] and "合計 4 pt" in sent_estimate[0]["text"]
    assert "「承認」または「差し戻し」" in sent_estimate[0]["text"]
    returned = [m for m in mails if "見積を「差し戻し」にしました" in m["text"]]
    assert [m["to"] for m in returned] == [[staff.email]]
    assert "差し戻しの理由" in returned[0]["text"] and "1枚で十分です" in returned[0]["text"]


def test_the_overview_makes_the_grant_of_a_new_month(admin, company):
    october = datetime(2026, 10, 5, 3, tzinfo=timezone.utc)
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=True, starts_on="2026-10-01"), now=october)
    rows = statements.usage_overview(admin, now=datetime(2026, 11, 2, tzinfo=timezone.utc), limit=1000)
    row = next(row for row in rows if row.company.company_id == company.company_id)
    assert int(row.balance.tenths) == 200 == ledger_sum(company.company_id)


def test_a_quiet_month_carries_the_balance_of_the_months_before(admin, company):
    october = datetime(2026, 10, 5, 3, tzinfo=timezone.utc)
    ledger.top_up(admin, company.company_id, points="7", note="", now=october)
    ledger.top_up(admin, company.company_id, points="1", note="", now=datetime(2027, 3, 2, tzinfo=timezone.utc))
    quiet = statements.statement(admin, company.company_id, "2026-12")
    assert quiet.entries == [] and quiet.opening_tenths == quiet.closing_tenths == 70
    assert statements.statement(admin, company.company_id, "2026-09").closing_tenths == 0


def test_without_required_approval_work_goes_on_but_a_returned_estimate_is_not_charged(admin, staff, company,
                                                                                       client_admin):
    monthly_contract(admin, company, approval=False)
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(name="作業", points="3")])
    moved = requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS),
                                    revision=0)  # no approval needed to start
    estimates.return_estimate(client_admin, request.request_id, version=1, reason="高すぎます")
    with pytest.raises(Invalid) as refused:
        requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE),
                                revision=moved.revision)
    assert refused.value.errors["status"] == "見積が差し戻されています。見積を修正してから状態を変更してください。"
    estimate(staff, request, [estimates.LineInput(name="作業", points="2")], version=2)
    complete(staff, request.request_id)  # a pending estimate is charged when approval is not required
    assert int(Balance.load(company.company_id).tenths) == 80


def test_points_pages_cost_the_same_at_few_and_many_ledger_entries(client, admin, staff):
    """A page's DynamoDB calls do not grow with the ledger (no scan; fixed queries and gets)."""
    from tests.support.volume import DynamoDBCalls

    counts = {}
    for size in (3, 60):
        company = make_company(f"{size}件の履歴の会社")
        asker = make_client(company, role=CLIENT_ADMIN)
        monthly_contract(admin, company)
        for _ in range(size):
            ledger.top_up(admin, company.company_id, points="1", note="")
        request = make_request(asker)
        estimate(staff, request, [estimates.LineInput(name="作業", points="1")])
        web = signed_in(client, asker)
        counts[size] = {}
        for path in ("/", "/points", f"/requests/{request.request_id}"):
            web.get(path)  # warm: the first view marks the request seen
            with DynamoDBCalls() as calls:
                assert web.get(path).status_code == 200
            assert "Scan" not in calls.operations
            counts[size][path.split("/")[1] or "dashboard"] = calls.total
    assert counts[3] == counts[60], counts
    assert max(counts[60].values()) <= 12, counts


def test_an_estimate_changed_after_its_approval_needs_a_new_one(admin, staff, company, client_admin):
    monthly_contract(admin, company, approval=True)
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(name="作業", points="1")])
    estimates.approve_estimate(client_admin, request.request_id, version=1)
    moved = requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS),
                                    revision=0)
    revised = estimate(staff, request, [estimates.LineInput(name="作業", points="1"),
                                        estimates.LineInput(name="追加の作業", points="2")], version=2)
    assert revised.state == "pending"
    with pytest.raises(Invalid) as refused:
        requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE),
                                revision=moved.revision)
    assert "見積の承認が必要" in refused.value.errors["status"]
    with pytest.raises(Invalid) as twice:
        estimates.approve_estimate(client_admin, request.request_id, version=3)
        estimates.approve_estimate(client_admin, request.request_id, version=4)
    assert twice.value.errors["_form"] == "この見積には既にお返事済みです。"
    complete(staff, request.request_id)
    assert int(Balance.load(company.company_id).tenths) == 70


def test_a_client_confirming_completion_is_asked_to_approve_the_estimate_first(admin, staff, company, client_admin):
    monthly_contract(admin, company, approval=True)
    request = make_request(client_admin)
    requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.WAITING), revision=0)
    estimate(staff, request, [estimates.LineInput(name="作業", points="2")])
    with pytest.raises(Invalid) as refused:
        requests.confirm_request(client_admin, request.request_id, revision=1)
    assert refused.value.errors["status"].startswith("見積がまだ承認されていません。")
    estimates.approve_estimate(client_admin, request.request_id, version=1)
    requests.confirm_request(client_admin, request.request_id, revision=1)  # 完了確認 charges the points
    assert int(Balance.load(company.company_id).tenths) == 80
    assert LedgerEntry.latest(company.company_id)[0].actor_name == client_admin.name


def test_a_company_without_a_contract_sees_no_points_on_its_dashboard(client, company, client_admin):
    web = signed_in(client, client_admin)
    body = web.text(web.get("/"))
    assert "残りポイント" not in body and "ポイント履歴" not in body


def test_an_item_stopped_on_the_menu_comes_back_as_a_free_form_row(client, admin, staff, client_admin, menu_item):
    request = make_request(client_admin)
    estimate(staff, request, [estimates.LineInput(menu_item_id=menu_item.item_id, quantity="2")])
    menu.update_menu_item(admin, menu_item.item_id, menu.MenuForm(category="テキスト", name="文言の変更", points="1"),
                            active=False)
    web = signed_in(client, staff)
    page = web.text(web.get(f"/requests/{request.request_id}"))
    assert re.search(r'id="name_0" name="name_0" type="text" value="文言の変更"', page)
    assert re.search(r'id="points_0" name="points_0" type="text" inputmode="decimal" value="1"', page)
