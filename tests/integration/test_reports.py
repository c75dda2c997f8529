"""Issue 19, items 4-6: the 月次保守レポート per company and month, through the emulator.

A company with a prepaid contract and four requests: two completed last month (one on time with a
charge, one after its 公開希望日), one still open at the month's end, one filed this month. The
agency's page shows the figures, the コメント is validated like every text, 送信 writes the PDF
once (its text holds every required item; its bytes never change afterwards), mails the client's
admins only, and the client then sees it; nobody else does, and a draft is nobody's but the agency's.
"""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests as http
from pypdf import PdfReader

from chalicelib.adapters import s3
from chalicelib.models.agency import AgencySettings
from chalicelib.models.companies import Company
from chalicelib.models.reports import Report
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import contracts, estimates, ledger, menu, reports, workflow
from chalicelib.services import pointrules as r
from chalicelib.services import requests as request_service
from localdev import mailbox
from localdev.emulator import FAULTS
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user, unique_id

MONTH = reports.last_month()
START, END = reports.month_bounds(MONTH)


def plain(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return START + timedelta(days=day - 1, hours=hour, minutes=minute)


def _company(name: str) -> Company:
    company = make_company(name)
    # It was a client all of last month (the 管理画面 lists only those for last month's report).
    Company(*Company.keys(company.company_id)).update(actions=[Company.created_at.set(START - timedelta(days=40))])
    return company


def _status(actor, request_id: str, status: str, at: datetime) -> None:
    request = Request.find(request_id)
    request_service.update_request(actor, request_id, request_service.RequestChanges(status=status),
                                   revision=int(request.revision), now=at)


def _due(request_id: str, day: int) -> None:
    Request(*Request.keys(request_id)).update(actions=[Request.due_date.set(_at(day, 0).date().isoformat())])


@pytest.fixture
def world(aws):
    admin = make_user(name="管理 一郎")
    staff = make_user(role=AGENCY_STAFF, name="担当 次郎")
    company = _company(f"株式会社レポート{unique_id('c')}")
    other = _company(f"株式会社ほか{unique_id('c')}")
    client_admin = make_client(company, role=CLIENT_ADMIN, name="報告 花子", email=f"{unique_id('ra')}@example.com")
    member = make_client(company, name="報告 太郎", email=f"{unique_id('rm')}@example.com")
    other_admin = make_client(other, role=CLIENT_ADMIN, name="他社 三郎", email=f"{unique_id('ro')}@example.com")
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=False, starts_on=START.date().isoformat()))
    item = menu.add_menu_item(admin, menu.MenuForm(new_category="テキスト", name="文言の変更", points="2"))

    # #1: filed on the 3rd 10:00, answered 2 hours later, estimated, approved, completed on the 8th: on time.
    first = request_service.create_request(client_admin, request_service.RequestForm(
        title="トップの文言変更", body="お知らせを変えてください。"), now=_at(3, 10))
    request_service.add_comment(staff, first.request_id, "承知しました。", now=_at(3, 12))
    estimates.save_estimate(staff, first.request_id, [estimates.LineInput(menu_item_id=item.item_id, quantity="1")],
                            version=0, now=_at(3, 13))
    estimates.approve_estimate(client_admin, first.request_id, version=estimates.estimate_of(first.request_id).version,
                               now=_at(3, 14))
    _status(staff, first.request_id, workflow.IN_PROGRESS, _at(4, 9))
    _status(staff, first.request_id, workflow.DONE, _at(8, 15))
    _due(first.request_id, 10)
    # #2: filed on the 5th, taken 30 minutes later, completed on the 20th, after its 公開希望日 (the 6th).
    second = request_service.create_request(member, request_service.RequestForm(
        title="画像の差し替え", body="採用ページの写真です。"), now=_at(5, 9))
    _status(staff, second.request_id, workflow.IN_PROGRESS, _at(5, 9, 30))
    _status(staff, second.request_id, workflow.DONE, _at(20, 11))
    _due(second.request_id, 6)
    # #3: filed on the 25th, not answered: open at the month's end.
    third = request_service.create_request(client_admin, request_service.RequestForm(
        title="お問い合わせフォームの不具合", body="送信できません。"), now=_at(25, 16))
    # #4: filed this month.
    fourth = make_request(client_admin, title="今月の依頼")
    return dict(admin=admin, staff=staff, company=company, other=other, client_admin=client_admin, member=member,
                other_admin=other_admin, requests=[first, second, third, fourth])


def _page(client, user, company):
    agent = signed_in(client, user)
    response = agent.get(f"/clients/{company.company_id}/report?month={MONTH}")
    assert response.status_code == 200, agent.text(response)[:400]
    return agent, plain(agent.text(response))


def _revision(agent) -> str:
    found = re.search(r'name="revision" value="(\d+)"', agent.text(agent.last))
    assert found, "no revision on the page"
    return found.group(1)


def _send(agent, company, **extra):
    agent.get(f"/clients/{company.company_id}/report?month={MONTH}")
    return agent.post(f"/clients/{company.company_id}/report/send",
                      {"month": MONTH, "revision": _revision(agent), "confirmed": "1", **extra})


def test_the_agency_page_shows_the_months_figures(client, world):
    agent, text = _page(client, world["staff"], world["company"])
    assert f"月次保守レポート {r.month_label(MONTH)}" in text and world["company"].name in text
    assert "未送信" in text
    # 受付 3 (#4 is this month's), 完了 2 (1 on time, 1 late), open at the end 1.
    assert "受付した依頼 3件" in text
    assert "完了した依頼 2件(期限内 1件、期限超過 1件)" in text
    assert "月末時点で未完了の依頼 1件" in text
    assert "#1 トップの文言変更" in text and "#2 画像の差し替え" in text and "#3 お問い合わせフォームの不具合" in text
    assert "今月の依頼" not in text
    # The median of 2 h and 30 min, #3 still unanswered.
    assert "1時間15分(中央値、回答済み2件)、未回答 1件" in text
    assert "期限内" in text and "期限超過" in text and "2 pt" in text
    # Points: 10 granted, 2 used; the remaining 8 expire as next month begins (no carry-over).
    following = r.next_month(MONTH)
    assert "付与ポイント 10 pt" in text and "利用ポイント 2 pt" in text and "月末の残りポイント 8 pt" in text
    assert f"8 pt({following[:4]}/{following[5:]}/01 に失効)" in text
    assert "コメントを保存" in text and "送信" in text


def test_the_figures_costs_a_bounded_number_of_calls(client, world):
    from tests.support.volume import DynamoDBCalls

    agent = signed_in(client, world["staff"])
    path = f"/clients/{world['company'].company_id}/report?month={MONTH}"
    agent.get(path)
    with DynamoDBCalls() as calls:
        assert agent.get(path).status_code == 200
    assert "Scan" not in calls.operations
    assert calls.total <= 5, calls.operations


def test_the_comment_is_checked_and_kept_as_typed(client, world):
    agent, _ = _page(client, world["staff"], world["company"])
    path = f"/clients/{world['company'].company_id}/report/comment"
    too_long = "あ" * (reports.COMMENT_MAX + 1)
    response = agent.post(path, {"month": MONTH, "revision": _revision(agent), "comment": too_long})
    assert response.status_code == 400
    page = agent.text(response)
    assert f"{reports.COMMENT_MAX}文字以内で入力してください。" in page and too_long in page
    agent.get(f"/clients/{world['company'].company_id}/report?month={MONTH}")
    response = agent.post(path, {"month": MONTH, "revision": _revision(agent), "comment": "<script>alert(1)</script>"})
    assert response.status_code == 400
    page = agent.text(response)
    assert "タグは書けません" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    agent.get(f"/clients/{world['company'].company_id}/report?month={MONTH}")
    response = agent.post(path, {"month": MONTH, "revision": _revision(agent), "comment": "今月もありがとうございました。\n来月もよろしくお願いします。"})
    assert response.status_code == 303
    text = plain(agent.text(agent.get(response.headers["location"])))
    assert "コメントを保存しました。" in text
    assert "今月もありがとうございました。" in agent.text(agent.last)
    # A stale form (the revision read before that save) is refused, not silently overwritten.
    response = agent.post(path, {"month": MONTH, "revision": "0", "comment": "古い画面から"})
    assert response.status_code == 409


def test_this_month_has_no_report_yet(client, world):
    agent = signed_in(client, world["staff"])
    this_month = r.month_of(ledger.today_jst())
    response = agent.get(f"/clients/{world['company'].company_id}/report?month={this_month}")
    assert response.status_code == 400
    assert "終わった月のものだけ" in agent.text(response)


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def _report_mails(address: str) -> list[dict]:
    return [m for m in mailbox.messages() if address in m["to"] and "月次保守レポート" in m["subject"]]


def test_sending_writes_the_pdf_once_mails_the_admins_and_stays_unchanged(client, world):
    company = world["company"]
    agent, _ = _page(client, world["staff"], company)
    agent.post(f"/clients/{company.company_id}/report/comment",
               {"month": MONTH, "revision": _revision(agent), "comment": "フォームの不具合は調査中です。"})
    # Without confirmed=1 nothing is sent: the confirmation page asks first.
    agent.get(f"/clients/{company.company_id}/report?month={MONTH}")
    asked = agent.post(f"/clients/{company.company_id}/report/send", {"month": MONTH, "revision": _revision(agent)})
    assert asked.status_code == 200 and "はい、送信する" in agent.text(asked)
    assert not Report.find(company.company_id, MONTH).sent

    # The agency as its settings name it when the report is sent (an earlier test file on this
    # worker may have renamed it: the shared emulator's settings are whatever was saved last).
    agency_name = AgencySettings.load().name
    response = _send(agent, company)
    assert response.status_code == 200, agent.text(response)[:400]
    assert "クライアント管理者1名にメールでお知らせしました。" in plain(agent.text(response))
    stored = Report.find(company.company_id, MONTH)
    assert stored.sent and stored.sender_name == "担当 次郎"
    assert stored.pdf_key == f"documents/reports/{company.company_id}/{MONTH}-{stored.report_id}.pdf"
    body = s3.read(stored.pdf_key)
    assert body.startswith(b"%PDF")

    # Every required item is in the PDF's text.
    text = _pdf_text(body)
    for expected in ("月次保守レポート", r.month_label(MONTH), f"{company.name} 御中", agency_name,
                     "受付した依頼", "完了した依頼", "月末時点で未完了の依頼", "初回回答までの時間", "1時間15分",
                     "#1", "トップの文言変更", "#2", "画像の差し替え", "#3", "お問い合わせフォームの不具合",
                     "公開希望日", "完了日", "期限内", "期限超過", "付与ポイント", "10 pt", "利用ポイント", "2 pt",
                     "失効ポイント", "月末の残りポイント", "8 pt", "次に失効するポイント", "コメント",
                     "フォームの不具合は調査中です。"):
        assert expected in text, expected
    assert "今月の依頼" not in text

    # The client's admin got a link; the member and the other company's admin did not.
    mail = _report_mails(world["client_admin"].email)
    assert len(mail) == 1 and f"/reports/{MONTH}" in mail[0]["text"]
    assert not _report_mails(world["member"].email)
    assert not _report_mails(world["other_admin"].email)

    # Later edits of the contract, the ledger and the settings change nothing stored.
    contracts.save_contract(world["admin"], company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="30", carry_over=True, starts_on=START.date().isoformat()))
    ledger.adjust(world["admin"], company.company_id, points="-3", note="訂正")
    from chalicelib.services import companies
    from chalicelib.services import agency as agency_settings
    settings = agency_settings.settings()
    before = companies.SettingsForm(name=settings.name, phone=settings.phone, mail_sender_name=settings.mail_sender_name,
                                    display_name=world["admin"].name, client_reopen_days=str(settings.client_reopen_days),
                                    colour=settings.colour)
    changed = companies.SettingsForm(**{**before.__dict__, "name": "改名した制作所"})
    saved = companies.update_settings(world["admin"], changed, version=settings.version)
    try:
        request_service.add_comment(world["staff"], world["requests"][2].request_id, "後から回答")
        assert s3.read(stored.pdf_key) == body
        again = Report.find(company.company_id, MONTH)
        assert again.snapshot == stored.snapshot and again.pdf_key == stored.pdf_key
        # The key is written once: S3 refuses a second write there.
        assert s3.put_once(stored.pdf_key, b"%PDF-other", content_type="application/pdf") is False
        assert s3.read(stored.pdf_key) == body
        # The client's page still shows the figures as sent.
        reader = signed_in(client, world["member"])
        page = plain(reader.text(reader.get(f"/reports/{MONTH}")))
        assert "月末の残りポイント 8 pt" in page and "1時間15分(中央値、回答済み2件)、未回答 1件" in page
        # A sent report is final: no second 送信, no comment change.
        response = agent.post(f"/clients/{company.company_id}/report/send",
                              {"month": MONTH, "revision": str(int(again.revision)), "confirmed": "1"})
        assert response.status_code == 400 and "送信済みです" in agent.text(response)
        response = agent.post(f"/clients/{company.company_id}/report/comment",
                              {"month": MONTH, "revision": str(int(again.revision)), "comment": "書き換え"})
        assert response.status_code == 400
        assert s3.read(stored.pdf_key) == body
    finally:
        companies.update_settings(world["admin"], before, version=saved.version)


def test_the_client_sees_sent_reports_only_and_only_its_own(client, world):
    company, other = world["company"], world["other"]
    admin_page = signed_in(client, world["client_admin"])
    # A draft does not exist for the client: not listed, no page, no PDF.
    assert "まだ月次保守レポートは届いていません" in admin_page.text(admin_page.get("/reports"))
    assert admin_page.get(f"/reports/{MONTH}").status_code == 404
    assert admin_page.get(f"/reports/{MONTH}/pdf").status_code == 404
    # The agency's route is not the client's.
    assert admin_page.get(f"/clients/{company.company_id}/report?month={MONTH}").status_code in (403, 404)

    agent = signed_in(client, world["staff"])
    assert _send(agent, company).status_code == 200
    stored = Report.find(company.company_id, MONTH)

    for user in (world["client_admin"], world["member"]):
        reader = signed_in(client, user)
        listed = reader.text(reader.get("/reports"))
        assert r.month_label(MONTH) in listed and f'href="/reports/{MONTH}/pdf"' in listed
        page = reader.get(f"/reports/{MONTH}")
        assert page.status_code == 200 and "PDFをダウンロード" in reader.text(page)
        assert 'name="comment"' not in reader.text(page)  # nothing to write on the client's side
        link = reader.get(f"/reports/{MONTH}/pdf")
        assert link.status_code == 303
        downloaded = http.get(link.headers["location"], timeout=10)
        assert downloaded.status_code == 200 and downloaded.content == s3.read(stored.pdf_key)

    # Another company's client: the month has no report for its company; the agency's route refuses it.
    stranger = signed_in(client, world["other_admin"])
    assert stranger.get(f"/reports/{MONTH}").status_code == 404
    assert stranger.get(f"/reports/{MONTH}/pdf").status_code == 404
    assert r.month_label(MONTH) not in plain(stranger.text(stranger.get("/reports")))
    for path in (f"/clients/{company.company_id}/report?month={MONTH}",
                 f"/clients/{company.company_id}/report.pdf?month={MONTH}"):
        assert stranger.get(path).status_code == 404, path
    with pytest.raises(Exception):
        reports.pdf_link(world["other_admin"], company.company_id, MONTH)


def test_the_agency_dashboard_lists_last_months_unsent_reports(client, world):
    company, other = world["company"], world["other"]
    agent = signed_in(client, world["staff"])
    text = agent.text(agent.get("/"))
    link = f'href="/clients/{company.company_id}/report?month={MONTH}"'
    assert f"{r.month_label(MONTH)}の月次保守レポート" in text
    assert link in text and f'href="/clients/{other.company_id}/report?month={MONTH}"' in text
    assert _send(agent, company).status_code == 200
    text = agent.text(agent.get("/"))
    assert link not in text
    assert f'href="/clients/{other.company_id}/report?month={MONTH}"' in text
    # A company that became a client this month owes no report for last month.
    newcomer = make_company(f"株式会社新規{unique_id('c')}")
    assert f'href="/clients/{newcomer.company_id}/report' not in agent.text(agent.get("/"))


def test_a_failed_mail_leaves_the_report_sent_and_says_so(client, world):
    """SES refusing the mail must not undo 送信: the report is issued, the page says who was not told."""
    agent = signed_in(client, world["staff"])
    agent.get(f"/clients/{world['company'].company_id}/report?month={MONTH}")
    revision = _revision(agent)
    FAULTS.fail("ses", "SendRawEmail", "MessageRejected")  # not retried by botocore: the page answers at once
    try:
        response = agent.post(f"/clients/{world['company'].company_id}/report/send",
                              {"month": MONTH, "revision": revision, "confirmed": "1"})
    finally:
        FAULTS.clear()
    assert response.status_code == 200
    assert "1名へのメールを送れませんでした" in plain(agent.text(response))
    stored = Report.find(world["company"].company_id, MONTH)
    assert stored.sent and s3.read(stored.pdf_key).startswith(b"%PDF")
    assert not _report_mails(world["client_admin"].email)


def test_median_counts_only_answers_the_client_sees(world):
    """A 社内メモ is not an answer: #3 stays unanswered after one."""
    third = world["requests"][2]
    request_service.update_request(world["staff"], third.request_id, request_service.RequestChanges(memo="社内の確認中"),
                                   revision=int(Request.find(third.request_id).revision))
    assert Request.find(third.request_id).first_answered_at is None
    first = Request.find(world["requests"][0].request_id)
    assert first.first_answered_at == _at(3, 12).astimezone(timezone.utc)
