"""Issue 19 items 1-3 and 6: 請求書. Billing settings, drafts made from the month, lines edited,
発行 (numbers unique and gap-free under concurrent issuing; the PDF written once and never
changed), 取消, the agency's search and CSV, and each company seeing only its own issued invoices.

The emulator stores what the app writes to S3; the tests read the stored PDF back and extract
its text (pypdf), so what the client downloads is what is checked."""
from __future__ import annotations

import csv
import io
import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from chalicelib.adapters import s3
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.models.invoices import BillingSettings, Invoice, InvoiceCounter
from chalicelib.models.users import CLIENT_ADMIN, CLIENT_MEMBER
from chalicelib.services import contracts, invoices, ledger, tax
from chalicelib.services import pointrules as r
from chalicelib.clock import utcnow
from localdev import emulator
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_user

BILLING = invoices.BillingForm(issuer_name="株式会社テスト制作", registration_number="T1234567890123",
                               address="東京都千代田区丸の内1-1-1", phone="03-1111-2222",
                               bank_account="みずほ銀行 東京支店\n普通 1234567 カ)テストセイサク",
                               payment_terms="next_month_end", tax_rounding=tax.FLOOR)


@pytest.fixture(scope="module")
def admin(aws):
    return make_user(name="請求 管理者")


@pytest.fixture(scope="module")
def billing(admin):
    settings = BillingSettings.load()
    return invoices.save_billing(admin, BILLING, version=settings.version)


@pytest.fixture
def company(aws):
    return make_company("株式会社請求先")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="請求 花子")


def this_month() -> str:
    return r.month_of(ledger.today_jst())


def postpaid(admin, company, *, fee: str = "50000", unit_price: str = "3000"):
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.POSTPAID, unit_price=unit_price, monthly_fee=fee,
        starts_on=(ledger.today_jst() - timedelta(days=40)).isoformat()))


def pdf_text(invoice: Invoice) -> str:
    data = s3.read(invoice.pdf_key)
    assert data is not None, "the PDF was not stored"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def plain(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def draft_form(*lines: tuple[str, str, str, str], due_on: str = "2027-01-31", note: str = "") -> invoices.DraftForm:
    return invoices.DraftForm(lines=[invoices.LineForm(description=d, quantity=q, unit=u, unit_price=p)
                                     for d, q, u, p in lines], due_on=due_on, note=note)


def issued(admin, company, *lines, month: str | None = None) -> Invoice:
    draft = invoices.create_draft(admin, company.company_id, month or this_month())
    draft = invoices.save_draft(admin, draft.invoice_id, draft_form(*lines), revision=int(draft.revision))
    return invoices.issue(admin, draft.invoice_id, revision=int(draft.revision)).invoice


# 1. Billing settings.

@pytest.mark.parametrize("typed, stored", [("T1234567890123", "T1234567890123"),
                                           ("t1234567890123", "T1234567890123"),
                                           ("Ｔ１２３４５６７８９０１２３", "T1234567890123"),
                                           ("T1-2345-6789-0123", "T1234567890123")])
def test_a_registration_number_is_read_as_printed(typed, stored):
    errors: dict = {}
    assert invoices.clean_registration_number(typed, errors) == stored and not errors


@pytest.mark.parametrize("typed", ["1234567890123", "T123456789012", "T12345678901234", "TT234567890123",
                                   "T12345678901２a", "X1234567890123", "T１２３４５６７８９０１２３４"])
def test_a_registration_number_that_is_not_t_and_13_digits_is_refused(typed):
    errors: dict = {}
    invoices.clean_registration_number(typed, errors)
    assert errors["registration_number"] == "登録番号は「T」に続けて13桁の数字で入力してください(例: T1234567890123)。"


def test_the_billing_form_refuses_each_bad_field_and_keeps_what_was_typed(client, admin, billing):
    agent = signed_in(client, admin)
    agent.get("/settings/billing")
    response = agent.post("/settings/billing", {
        "issuer_name": "株式会社テスト制作", "registration_number": "T123", "address": "",
        "phone": "abc", "bank_account": "<script>x</script>", "payment_terms": "someday", "tax_rounding": "up",
        "version": str(billing.version)})
    assert response.status_code == 400
    page = agent.text(response)
    assert "登録番号は「T」に続けて13桁" in page
    assert "電話番号は数字とハイフンで" in page
    assert "HTMLタグやスクリプトタグは入力できません" in page
    assert page.count("一覧から選んでください。") >= 2
    assert 'value="T123"' in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert BillingSettings.load().registration_number == "T1234567890123"


def test_only_the_agency_admin_opens_the_billing_settings(client, company, client_admin):
    from chalicelib.models.users import AGENCY_STAFF
    staff = make_user(role=AGENCY_STAFF)
    assert signed_in(client, staff).get("/settings/billing").status_code == 403
    assert signed_in(client, client_admin).get("/settings/billing").status_code in (403, 404)


# 2. Drafts from the month.

def test_a_draft_carries_the_fee_the_postpaid_usage_and_priced_topups(admin, billing, company):
    postpaid(admin, company)
    ledger.top_up(admin, company.company_id, points="10", price="30,000", note="追加購入")
    ledger.top_up(admin, company.company_id, points="5", note="サービス")  # no price: not on the invoice
    ledger.adjust(admin, company.company_id, points="-12.5", note="作業分")  # postpaid usage
    draft = invoices.create_draft(admin, company.company_id, this_month())
    label = r.month_label(this_month())
    described = [(line.description, line.quantity, int(line.unit_price), int(line.amount)) for line in draft.lines]
    assert described[0] == (f"月額保守料金({label}分)", "1", 50_000, 50_000)
    assert described[1] == (f"ポイント利用(後払い、{label}分)", "12.5", 3_000, 37_500)
    assert described[2][0].startswith("ポイントチャージ 10 pt") and described[2][2:] == (30_000, 30_000)
    assert len(described) == 3
    assert (int(draft.subtotal), int(draft.tax), int(draft.total)) == (117_500, 11_750, 129_250)
    # 翌月末 from the month billed.
    following = r.next_month(this_month())
    assert draft.due_on.startswith(following)
    # A second click opens the same draft.
    assert invoices.create_draft(admin, company.company_id, this_month()).invoice_id == draft.invoice_id


def test_a_draft_for_a_month_to_come_is_refused(admin, billing, company):
    with pytest.raises(Invalid) as refused:
        invoices.create_draft(admin, company.company_id, r.next_month(this_month()))
    assert "month" in refused.value.errors


def test_lines_are_added_changed_and_removed_and_each_bad_field_is_named(client, admin, billing, company):
    postpaid(admin, company, unit_price="2000")
    draft = invoices.create_draft(admin, company.company_id, this_month())
    agent = signed_in(client, admin)
    agent.get(f"/invoices/{draft.invoice_id}")
    fields = {"revision": str(draft.revision), "line_count": "3", "due_on": "2027-01-31", "note": "",
              "line-0-description": "月額保守料金(改)", "line-0-quantity": "1", "line-0-unit": "式",
              "line-0-unit_price": "48000", "line-0-tax_rate": "10",
              "line-1-description": "", "line-1-quantity": "abc", "line-1-unit": "", "line-1-unit_price": "1.5",
              "line-1-tax_rate": "10",
              "line-2-description": "値引き", "line-2-quantity": "1", "line-2-unit": "", "line-2-unit_price": "-3000",
              "line-2-tax_rate": "10"}
    refused = agent.post(f"/invoices/{draft.invoice_id}", fields)
    assert refused.status_code == 400
    page = agent.text(refused)
    assert "2行目の内容" in page and "2行目の数量" in page and "2行目の単価" in page
    assert 'value="月額保守料金(改)"' in page and 'value="-3000"' in page and 'value="abc"' in page
    fields.update({"line-1-description": "バナー制作", "line-1-quantity": "2", "line-1-unit": "点",
                   "line-1-unit_price": "15,000"})
    agent.get(f"/invoices/{draft.invoice_id}")
    saved = agent.post(f"/invoices/{draft.invoice_id}", {**fields, "remove": "2"})
    assert saved.status_code == 303
    stored = Invoice.find(draft.invoice_id)
    assert [(line.description, int(line.amount)) for line in stored.lines] == [("月額保守料金(改)", 48_000),
                                                                               ("バナー制作", 30_000)]
    assert (int(stored.subtotal), int(stored.tax), int(stored.total)) == (78_000, 7_800, 85_800)
    # A second save from the page shown before is refused, not silently applied.
    agent.get(f"/invoices/{draft.invoice_id}")
    stale = agent.post(f"/invoices/{draft.invoice_id}", fields)
    assert stale.status_code == 409


# 3. 発行 is final.

def test_issuing_numbers_freezes_and_stores_a_pdf_with_every_required_item(admin, billing, company):
    before = InvoiceCounter.current()
    invoice = issued(admin, company, ("月額保守料金", "1", "式", "50000"), ("ポイント利用", "12.5", "pt", "3333"))
    assert invoice.state == "issued" and int(invoice.number) == before + 1
    assert invoice.issuer_name == "株式会社テスト制作" and invoice.registration_number == "T1234567890123"
    text = pdf_text(invoice)
    for required in ("請求書", "株式会社請求先 御中", "株式会社テスト制作", "登録番号: T1234567890123",
                     "東京都千代田区丸の内1-1-1", f"{r.month_label(invoice.month)}分", invoices.number_text(invoice),
                     "月額保守料金", "ポイント利用", "12.5 pt", "41,663円", "10%対象 小計(税抜)", "91,663円",
                     "10%対象 消費税", "9,166円", "合計(税込)", "100,829円", "みずほ銀行 東京支店"):
        assert required in text, required
    # An issued invoice is not a draft any more: neither saved, issued again nor deleted.
    with pytest.raises(Conflict):
        invoices.save_draft(admin, invoice.invoice_id, draft_form(("x", "1", "", "1")), revision=int(invoice.revision))
    with pytest.raises(Conflict):
        invoices.issue(admin, invoice.invoice_id, revision=int(invoice.revision))
    with pytest.raises(Conflict):
        invoices.delete_draft(admin, invoice.invoice_id, revision=int(invoice.revision))


def test_the_stored_pdf_never_changes_after_settings_contract_or_ledger_change(admin, billing, company):
    postpaid(admin, company)
    invoice = issued(admin, company, ("月額保守料金", "1", "式", "50000"))
    stored = s3.read(invoice.pdf_key)
    invoices.save_billing(admin, invoices.BillingForm(**{**BILLING.__dict__, "issuer_name": "株式会社別名"}),
                          version=BillingSettings.load().version)
    try:
        postpaid(admin, company, fee="99999")
        ledger.top_up(admin, company.company_id, points="3", price="9000", note="後から")
        company.update(actions=[type(company).name.set("株式会社改名後")])
        # Downloading again writes nothing: the same bytes are served.
        invoices.pdf_link(admin, invoice.invoice_id)
        assert s3.read(invoice.pdf_key) == stored
        assert "株式会社別名" not in pdf_text(invoice) and "株式会社改名後" not in pdf_text(invoice)
        # Even a direct attempt to write the key again is refused by S3's condition.
        assert s3.put_once(invoice.pdf_key, b"%PDF-other", content_type="application/pdf") is False
        assert s3.read(invoice.pdf_key) == stored
    finally:
        invoices.save_billing(admin, BILLING, version=BillingSettings.load().version)


def test_concurrent_issuing_gives_unique_gap_free_numbers(admin, billing, company):
    drafts = []
    for n in range(6):
        draft = invoices.create_draft(admin, make_company(f"株式会社同時{n}").company_id, this_month())
        drafts.append(invoices.save_draft(admin, draft.invoice_id, draft_form(("保守", "1", "式", "1000")),
                                          revision=int(draft.revision)))
    before = InvoiceCounter.current()
    start = threading.Barrier(len(drafts))
    results, failures = [], []

    def issue(draft):
        start.wait()
        try:
            results.append(invoices.issue(admin, draft.invoice_id, revision=int(draft.revision)).invoice)
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=issue, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert sorted(int(invoice.number) for invoice in results) == list(range(before + 1, before + 1 + len(drafts)))
    assert InvoiceCounter.current() == before + len(drafts)


def test_one_draft_issued_twice_at_once_takes_one_number(admin, billing, company):
    draft = invoices.create_draft(admin, company.company_id, this_month())
    draft = invoices.save_draft(admin, draft.invoice_id, draft_form(("保守", "1", "式", "1000")),
                                revision=int(draft.revision))
    before = InvoiceCounter.current()
    start = threading.Barrier(2)
    outcomes = []

    def issue():
        start.wait()
        try:
            outcomes.append(invoices.issue(admin, draft.invoice_id, revision=int(draft.revision)).invoice.number)
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == sorted([str(before + 1), "conflict"])
    assert InvoiceCounter.current() == before + 1


def test_issuing_needs_complete_billing_settings_and_a_line(admin, billing, company):
    draft = invoices.create_draft(admin, company.company_id, this_month())
    draft = invoices.save_draft(admin, draft.invoice_id, draft_form(), revision=int(draft.revision))
    with pytest.raises(Invalid) as refused:
        invoices.issue(admin, draft.invoice_id, revision=int(draft.revision))
    assert refused.value.errors["_form"].startswith("明細が1行もない請求書は発行できません")


def test_when_s3_fails_the_invoice_is_issued_and_the_pdf_is_written_on_download(admin, billing, company):
    draft = invoices.create_draft(admin, company.company_id, this_month())
    draft = invoices.save_draft(admin, draft.invoice_id, draft_form(("保守", "1", "式", "2000")),
                                revision=int(draft.revision))
    emulator.FAULTS.fail("s3", "PutObject", "ServiceUnavailable", status=503)
    try:
        result = invoices.issue(admin, draft.invoice_id, revision=int(draft.revision))
    finally:
        emulator.FAULTS.clear()
    assert result.invoice.state == "issued" and result.pdf_stored is False
    assert s3.read(result.invoice.pdf_key) is None
    link = invoices.pdf_link(admin, draft.invoice_id)
    assert result.invoice.pdf_key.split("/")[-1] in link
    assert invoices.number_text(result.invoice) in pdf_text(result.invoice)


def test_cancelling_needs_a_reason_keeps_the_number_and_the_pdf(client, admin, billing, company):
    invoice = issued(admin, company, ("保守", "1", "式", "5000"))
    stored = s3.read(invoice.pdf_key)
    with pytest.raises(Invalid) as refused:
        invoices.cancel(admin, invoice.invoice_id, reason="  ")
    assert "reason" in refused.value.errors
    agent = signed_in(client, admin)
    agent.get(f"/invoices/{invoice.invoice_id}")
    asked = agent.post(f"/invoices/{invoice.invoice_id}/cancel", {"reason": "金額の誤り"})
    assert asked.status_code == 200 and "この請求書を取り消しますか?" in agent.text(asked)
    done = agent.post(f"/invoices/{invoice.invoice_id}/cancel", {"reason": "金額の誤り", "confirmed": "1"})
    assert done.status_code == 303
    cancelled = Invoice.find(invoice.invoice_id)
    assert cancelled.state == "cancelled" and cancelled.cancel_reason == "金額の誤り"
    assert int(cancelled.number) == int(invoice.number) and s3.read(invoice.pdf_key) == stored
    next_one = issued(admin, company, ("保守(訂正)", "1", "式", "4000"))
    assert int(next_one.number) > int(invoice.number)


# Search and CSV (the agency), the client's own list, isolation.

def test_the_agency_searches_by_date_amount_and_company_and_exports_csv(client, admin, billing, company):
    other = make_company("株式会社ほかの宛先")
    small = issued(admin, company, ("小さな作業", "1", "式", "1000"))
    large = issued(admin, company, ("大きな作業", "1", "式", "900000"))
    elsewhere = issued(admin, other, ("別会社の作業", "1", "式", "900000"))
    today = ledger.today_jst().isoformat()
    agent = signed_in(client, admin)
    found = agent.text(agent.get(f"/invoices?issued_from={today}&issued_to={today}&amount_min=500000"
                                 f"&company_id={company.company_id}"))
    assert invoices.number_text(large) in found
    assert invoices.number_text(small) not in found and invoices.number_text(elsewhere) not in found
    response = agent.get(f"/invoices.csv?issued_from={today}&amount_max=1,100&company_id={company.company_id}")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8").lstrip("\ufeff"))))
    assert rows[0][:7] == ["請求書番号", "発行日", "取引年月", "取引先", "金額(税抜)", "消費税", "合計(税込)"]
    assert [row[0] for row in rows[1:]] == [invoices.number_text(small)]
    assert rows[1][1] == today and rows[1][3] == "株式会社請求先" and rows[1][6] == "1100"
    refused = agent.get("/invoices?issued_from=2026-13-01&amount_min=abc&amount_max=10&issued_to=2020-01-01")
    assert refused.status_code == 400
    page = agent.text(refused)
    assert "金額は整数(円)で入力してください" in page and 'value="abc"' in page


def test_a_client_admin_sees_and_downloads_only_its_own_issued_invoices(client, admin, billing, company,
                                                                       client_admin):
    mine = issued(admin, company, ("保守", "1", "式", "5000"))
    draft = invoices.create_draft(admin, company.company_id, r.previous_month(this_month()))
    other = make_company("株式会社よその会社")
    theirs = issued(admin, other, ("よその保守", "1", "式", "7000"))
    agent = signed_in(client, client_admin)
    listing = agent.text(agent.get("/invoices"))
    assert invoices.number_text(mine) in listing and invoices.number_text(theirs) not in listing
    assert "下書き" not in listing
    assert agent.get(f"/invoices/{mine.invoice_id}").status_code == 200
    download = agent.get(f"/invoices/{mine.invoice_id}/pdf")
    assert download.status_code in (302, 303) and mine.pdf_key.split("/")[-1] in download.headers["Location"]
    for path in (f"/invoices/{theirs.invoice_id}", f"/invoices/{theirs.invoice_id}/pdf",
                 f"/invoices/{draft.invoice_id}", f"/invoices/{draft.invoice_id}/pdf"):
        assert agent.get(path).status_code == 404, path
    # Nothing of the agency's list or another company's pages.
    assert agent.get("/invoices.csv").status_code in (403, 404)
    assert agent.get(f"/clients/{company.company_id}/invoices").status_code in (403, 404)
    agent.get(f"/invoices/{mine.invoice_id}")
    assert agent.post(f"/invoices/{mine.invoice_id}/cancel", {"reason": "x", "confirmed": "1"}).status_code in (403, 404)
    with pytest.raises(NotFound):
        invoices.invoice_for(client_admin, theirs.invoice_id)


def test_a_client_member_sees_no_invoices(client, admin, billing, company):
    mine = issued(admin, company, ("保守", "1", "式", "5000"))
    member = make_client(company, role=CLIENT_MEMBER)
    agent = signed_in(client, member)
    assert agent.get("/invoices").status_code in (403, 404)
    assert agent.get(f"/invoices/{mine.invoice_id}").status_code in (403, 404)
    assert agent.get(f"/invoices/{mine.invoice_id}/pdf").status_code in (403, 404)


def test_contract_fee_and_topup_price_are_checked(admin, company):
    with pytest.raises(Invalid) as refused:
        contracts.save_contract(admin, company.company_id, contracts.ContractForm(
            kind=r.PREPAID_MONTHLY, points="10", monthly_fee="五万", starts_on=ledger.today_jst().isoformat()))
    assert "monthly_fee" in refused.value.errors
    with pytest.raises(Invalid) as refused:
        ledger.top_up(admin, company.company_id, points="1", price="-100", note="")
    assert "topup_price" in refused.value.errors
    saved = contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", monthly_fee="５０,０００", starts_on=ledger.today_jst().isoformat()))
    assert int(saved.monthly_fee) == 50_000


def test_the_due_date_follows_the_payment_terms():
    assert str(invoices.due_date("2026-11", "next_month_end")) == "2026-12-31"
    assert str(invoices.due_date("2026-12", "next_month_end")) == "2027-01-31"
    assert str(invoices.due_date("2027-01", "next_month_end")) == "2027-02-28"
    assert str(invoices.due_date("2026-11", "this_month_end")) == "2026-11-30"
    assert str(invoices.due_date("2026-11", "next_month_15")) == "2026-12-15"
    assert str(invoices.due_date("2026-12", "month_after_next_end")) == "2027-02-28"


def test_a_discount_price_is_read_with_any_minus_sign():
    assert invoices.parse_price("-5,000") == -5000
    assert invoices.parse_price("−5000") == -5000
    assert invoices.parse_price("ー5000") == -5000
    assert invoices.parse_price("５０００") == 5000
    assert invoices.parse_price("1.5") is None and invoices.parse_price("--5") is None
    assert invoices.parse_price("") is None


def test_utcnow_is_used_for_issue_day_in_japan(admin, billing, company):
    """発行日 is the day in Japan: just after midnight JST it is already the next day."""
    draft = invoices.create_draft(admin, company.company_id, this_month())
    draft = invoices.save_draft(admin, draft.invoice_id, draft_form(("保守", "1", "式", "1000")),
                                revision=int(draft.revision))
    now = utcnow().replace(hour=15, minute=30, second=0, microsecond=0)  # 00:30 JST the next day
    result = invoices.issue(admin, draft.invoice_id, revision=int(draft.revision), now=now)
    assert result.invoice.issued_on == (now + timedelta(hours=9)).date().isoformat()
    assert Decimal(result.invoice.lines[0].quantity) == 1


def test_every_hostile_value_in_every_draft_field_is_answered_with_its_message(client, admin, billing, company):
    """The draft's line editor is not on the security walk's pages (its world holds an issued
    invoice, whose forms change nothing): every value of the hostile corpus goes into every field
    here. Never a 500; a refusal names its field; what is saved is clean text."""
    from tests.support.hostile import VALUES

    draft = invoices.create_draft(admin, company.company_id, this_month())
    agent = signed_in(client, admin)
    base = {"line_count": "1", "due_on": "2027-01-31", "note": "", "line-0-description": "保守",
            "line-0-quantity": "1", "line-0-unit": "式", "line-0-unit_price": "1000", "line-0-tax_rate": "10"}
    wrong = []
    for name in ("line-0-description", "line-0-quantity", "line-0-unit", "line-0-unit_price", "line-0-tax_rate",
                 "due_on", "note", "line_count", "remove"):
        for label, value in VALUES:
            agent.get(f"/invoices/{draft.invoice_id}")
            revision = str(Invoice.find(draft.invoice_id).revision)
            response = agent.post(f"/invoices/{draft.invoice_id}", {**base, "revision": revision, name: value})
            body = agent.text(response)
            if response.status_code >= 500 or (response.status_code == 400 and 'role="alert"' not in body):
                wrong.append((name, label, response.status_code))
    assert wrong == []
    for line in Invoice.find(draft.invoice_id).lines:
        for text in (line.description, line.unit):
            assert not re.search(r"[\x00-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]", text), text
