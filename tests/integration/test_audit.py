"""The audit log (issue 21, item 4): an entry for every administrative event, read by the agency
admin (filters, CSV) and, for its own company only, by a client admin.

Threats: a client admin reading another company's entries or the agency's internal ones (its
staff accounts, its settings); a password, temporary or not, kept in an entry; an audit write
that fails taking the action it records down with it, or going unnoticed.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.clock import JST
from chalicelib.messages import AUDIT_CSV_HEADER, AUDIT_KINDS
from chalicelib.models.agency import AgencySettings
from chalicelib.models.audit import AuditEntry
from chalicelib.models.companies import Company
from chalicelib.models.invoices import BillingSettings
from chalicelib.models.notifications import MailSuppression
from chalicelib.models.points import Balance
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import estimates, invoices, ledger, listings, menu, requests, tax, throttle, workflow
from chalicelib.services import pointrules as r
from localdev import mailbox
from localdev.emulator import FAULTS
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user, unique_id

pytestmark = pytest.mark.usefixtures("no_faults")

BILLING = invoices.BillingForm(issuer_name="株式会社テスト制作", registration_number="T1234567890123",
                               address="東京都千代田区丸の内1-1-1", phone="03-1111-2222",
                               bank_account="みずほ銀行 東京支店\n普通 1234567 カ)テストセイサク",
                               payment_terms="next_month_end", tax_rounding=tax.FLOOR)


def of_company(company_id: str) -> list[AuditEntry]:
    return list(AuditEntry.gsi1.query(f"AUDITCO#{company_id}", scan_index_forward=False))


def by_actor(user_id: str) -> list[AuditEntry]:
    return list(AuditEntry.gsi2.query(f"AUDITBY#{user_id.lower()}", scan_index_forward=False))


def kinds(entries) -> set[str]:
    return {entry.event for entry in entries}


def post(agent, path: str, data: dict):
    """POST a form with a fresh CSRF token (a redirect's empty body carries none)."""
    if not agent.csrf_token():
        agent.get("/")
    return agent.post(path, data)


def plain(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def world(aws):
    admin = make_user(name="監査 管理者")
    staff = make_user(role=AGENCY_STAFF, name="監査 担当者")
    company = make_company(f"株式会社カンサ{uuid.uuid4().hex[:6]}")
    other = make_company(f"株式会社ヨソ{uuid.uuid4().hex[:6]}")
    client_admin = make_client(company, role=CLIENT_ADMIN, name="監査 花子")
    member = make_client(company, name="監査 梅子")
    other_admin = make_client(other, role=CLIENT_ADMIN, name="他社 三郎")
    return dict(admin=admin, staff=staff, company=company, other=other, client_admin=client_admin, member=member,
                other_admin=other_admin)


def test_account_changes_are_entries_of_the_company_with_old_and_new(client, world):
    admin, company = world["admin"], world["company"]
    web = signed_in(client, world["client_admin"])
    user_id = unique_id("aud")
    created = post(web, "/accounts", {"user_id": user_id, "name": "新規 太郎", "kana": "シンキ タロウ",
                                     "phone": "03-1111-2222", "email": f"{user_id}@example.com"})
    assert created.status_code in (200, 303), web.text(created)[:300]
    target = make_client(company, name="監査 一郎")  # its password is reissued below: not world's member
    page = web.text(web.get(f"/accounts/{target.user_id}/edit"))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert post(web, f"/accounts/{target.user_id}/edit", {"name": "監査 二郎", "kana": "カンサ ジロウ",
                                                          "phone": target.phone, "email": target.email,
                                                          "version": version}).status_code == 303
    assert post(web, f"/accounts/{target.user_id}/role", {"role": "admin"}).status_code == 303
    assert post(web, f"/accounts/{target.user_id}/role", {"role": "member"}).status_code == 303
    assert post(web, f"/accounts/{target.user_id}/deactivate", {"confirmed": "1"}).status_code == 303
    assert post(web, f"/accounts/{target.user_id}/reactivate", {}).status_code == 303
    assert post(web, f"/accounts/{target.user_id}/resend-guidance", {}).status_code in (200, 303)
    # The agency lifts a login lock and a mail stop.
    agency = signed_in(client, admin)
    throttle.record_failure(target.user_id, "192.0.2.7", datetime.now(timezone.utc))
    assert post(agency, f"/accounts/{target.user_id}/unlock", {}).status_code == 303
    MailSuppression(*MailSuppression.keys(target.email), email=target.email, reason="bounce",
                    at=datetime.now(timezone.utc)).save()
    assert post(agency, f"/accounts/{target.user_id}/mail-resume", {}).status_code == 303

    entries = of_company(company.company_id)
    assert {"account_created", "account_changed", "role_changed", "account_deactivated", "account_reactivated",
            "guidance_resent", "account_unlocked", "mail_resumed"} <= kinds(entries)
    changed = next(e for e in entries if e.event == "account_changed")
    assert changed.changes.as_dict()["name"] == {"old": "監査 一郎", "new": "監査 二郎"}
    assert changed.actor_id == world["client_admin"].user_id and changed.target == f"user:{target.user_id}"
    assert not changed.internal and changed.company_id == company.company_id
    roles = [e.changes.as_dict()["role"] for e in entries if e.event == "role_changed"]
    assert {"old": "メンバー", "new": "クライアント管理者"} in roles
    # Where and with what the change was made.
    assert changed.address and changed.user_agent is not None
    # No password, temporary or not, in any entry (the guidance mails carry them).
    stored = json.dumps([e.attribute_values for e in entries], default=str, ensure_ascii=False)
    secrets = [secret for message in mailbox.messages()
               if target.email in message["to"] or f"{user_id}@example.com" in message["to"]
               for secret in re.findall(r"仮パスワード[:：]\s*(\S+)", message["text"])]
    assert len(secrets) >= 2  # the guidance at registration and the reissued one
    assert not [secret for secret in secrets if secret in stored]


def test_agency_staff_accounts_and_settings_are_internal(client, world):
    admin = world["admin"]
    web = signed_in(client, admin)
    user_id = unique_id("staff")
    web.get("/staff/new")
    assert post(web, "/staff", {"user_id": user_id, "name": "社内 太郎", "kana": "シャナイ タロウ",
                               "phone": "03-1111-2222", "email": f"{user_id}@example.com"}).status_code in (200, 303)
    created = next(e for e in by_actor(admin.user_id) if e.event == "account_created" and e.target == f"user:{user_id}")
    assert created.internal and created.company_id is None
    before = AgencySettings.load()
    try:
        page = web.text(web.get("/settings"))
        assert "監査ログの保存期間(日)" in page and "代理店のアカウントに2段階認証を必須にする" in page
        fields = {"agency_name": before.name, "display_name": admin.name, "phone": before.phone,
                  "mail_sender_name": before.mail_sender_name, "colour": before.colour,
                  "client_reopen_days": str(int(before.client_reopen_days)), "version": str(before.version)}
        refused = post(web, "/settings", {**fields, "audit_retention_days": "10", "two_factor_shown": "1"})
        assert refused.status_code == 400 and "30から3650までの半角数字" in web.text(refused)
        assert 'value="10"' in web.text(refused)
        # A page from before these settings existed leaves them as they are.
        assert post(web, "/settings", fields).status_code == 303
        assert int(AgencySettings.load().audit_retention_days) == int(before.audit_retention_days)
        fields["version"] = str(AgencySettings.load().version)
        saved = post(web, "/settings", {**fields, "audit_retention_days": "500", "require_two_factor": "1",
                                        "two_factor_shown": "1"})
        assert saved.status_code == 303, web.text(saved)[:300]
        after = AgencySettings.load()
        assert int(after.audit_retention_days) == 500 and after.require_two_factor
        entry = next(e for e in by_actor(admin.user_id) if e.event == "settings_changed")
        assert entry.internal and entry.changes.as_dict()["audit_retention_days"] == {"old": "400", "new": "500"}
        assert entry.changes.as_dict()["require_two_factor"] == {"old": "無効", "new": "有効"}
        # The retention is the entry's TTL.
        assert int(entry.expires_at) - int(entry.at.timestamp()) == 500 * 86400
    finally:
        current = AgencySettings.load()
        current.audit_retention_days, current.require_two_factor = before.audit_retention_days, False
        current.save()


def test_contract_points_and_the_company_two_factor_are_entries(client, world):
    admin, company = world["admin"], world["company"]
    web = signed_in(client, admin)
    start = (ledger.today_jst() - timedelta(days=3)).isoformat()
    assert post(web, f"/clients/{company.company_id}/contract", {
        "kind": r.PREPAID_MONTHLY, "points": "10", "starts_on": start}).status_code == 303
    assert post(web, f"/clients/{company.company_id}/topup", {"topup_points": "5", "topup_price": "15000",
                                                             "topup_note": "追加購入"}).status_code == 303
    assert post(web, f"/clients/{company.company_id}/adjust", {"adjust_points": "-1",
                                                              "adjust_note": "計上ミスの訂正"}).status_code == 303
    page = web.text(web.get(f"/clients/{company.company_id}"))
    assert "このクライアントのアカウントに2段階認証を必須にする" in page
    assert post(web, f"/clients/{company.company_id}/two-factor", {"require_two_factor": "1"}).status_code == 303
    assert Company.find(company.company_id).require_two_factor
    # Off again: the requirement is enforced at sign-in, and later tests sign the company's people in.
    Company.find(company.company_id).update(actions=[Company.require_two_factor.set(False)])
    # The charge at 完了.
    item = menu.add_menu_item(admin, menu.MenuForm(new_category="監査", name=f"文言{uuid.uuid4().hex[:4]}", points="2"))
    request = make_request(world["client_admin"])
    estimates.save_estimate(world["staff"], request.request_id, [estimates.LineInput(menu_item_id=item.item_id,
                                                                                    quantity="1")], version=0)
    current = listings.view_request(world["staff"], request.request_id).request
    requests.update_request(world["staff"], request.request_id, requests.RequestChanges(status=workflow.DONE),
                            revision=current.revision)

    entries = of_company(company.company_id)
    assert {"contract_changed", "points_topped_up", "points_adjusted", "points_charged",
            "company_two_factor_changed"} <= kinds(entries)
    topup = next(e for e in entries if e.event == "points_topped_up").changes.as_dict()
    assert topup["points"]["new"] == "+5 pt" and topup["price"]["new"] == "15,000円"
    contract = next(e for e in entries if e.event == "contract_changed").changes.as_dict()
    assert "10" in contract["contract"]["new"]
    # The same terms with a 月額保守料金: the entry says what changed.
    assert post(web, f"/clients/{company.company_id}/contract", {
        "kind": r.PREPAID_MONTHLY, "points": "10", "starts_on": start, "monthly_fee": "50,000"}).status_code == 303
    fee = next(e for e in of_company(company.company_id) if e.event == "contract_changed").changes.as_dict()
    assert fee["monthly_fee"] == {"old": "0円", "new": "50,000円"}
    # Shown on the agency's 契約履歴 only: the contract line every client user reads leaves it out.
    assert "月額保守料金 50,000円(税抜)" in web.text(web.get(f"/clients/{company.company_id}"))
    assert "月額保守料金" not in Balance.get(*Balance.keys(company.company_id)).contract_text
    assert next(e for e in entries if e.event == "company_two_factor_changed").changes.as_dict()[
        "require_two_factor"] == {"old": "無効", "new": "有効"}
    charged = next(e for e in entries if e.event == "points_charged")
    assert charged.actor_id == world["staff"].user_id and charged.changes.as_dict()["points"]["new"] == "-2 pt"


def test_downloads_and_exports_are_entries(client, world):
    admin, company, client_admin = world["admin"], world["company"], world["client_admin"]
    web = signed_in(client, client_admin)
    month = r.month_of(ledger.today_jst())
    assert web.get(f"/points/statement.csv?month={month}").status_code == 200
    agency = signed_in(client, admin)
    assert agency.get(f"/clients/{company.company_id}/statement.csv?month={month}").status_code == 200
    assert agency.get("/invoices.csv").status_code == 200
    assert agency.get("/audit.csv").status_code == 200
    # An issued invoice's PDF, by the agency and by the client admin.
    if not BillingSettings.load().complete:
        invoices.save_billing(admin, BILLING, version=BillingSettings.load().version)
    draft = invoices.create_draft(admin, company.company_id, month)
    draft = invoices.save_draft(admin, draft.invoice_id, invoices.DraftForm(
        lines=[invoices.LineForm(description="保守", quantity="1", unit="式", unit_price="1000")],
        due_on="2099-01-31", note=""), revision=int(draft.revision))
    issued = invoices.issue(admin, draft.invoice_id, revision=int(draft.revision)).invoice
    assert web.get(f"/invoices/{issued.invoice_id}/pdf").status_code in (302, 303)
    downloaded = next(e for e in of_company(company.company_id) if e.event == "invoice_downloaded")
    assert downloaded.actor_id == client_admin.user_id and downloaded.target == f"invoice:{issued.invoice_id}"
    # A sent 月次保守レポート's PDF, by the client admin and by the agency.
    from chalicelib.services import reports
    sent_month = r.previous_month(reports.last_month())
    reports.send(admin, company.company_id, sent_month, revision=0)
    assert web.get(f"/reports/{sent_month}/pdf").status_code in (302, 303)
    assert agency.get(f"/clients/{company.company_id}/report.pdf?month={sent_month}").status_code in (302, 303)
    entries = of_company(company.company_id)
    assert "statement_downloaded" in kinds(entries)
    reports_downloaded = [e for e in entries if e.event == "report_downloaded"]
    assert {e.actor_id for e in reports_downloaded} == {client_admin.user_id, admin.user_id}
    mine = [e for e in by_actor(admin.user_id) if e.event in ("invoices_exported", "audit_exported")]
    assert {e.event for e in mine} == {"invoices_exported", "audit_exported"}
    assert all(e.internal for e in mine)


def test_the_agency_reads_and_filters_the_log_and_downloads_it_as_csv(client, world):
    admin, company = world["admin"], world["company"]
    web = signed_in(client, admin)
    page = web.text(web.get("/audit"))
    for label in ("監査ログ", "操作者", "クライアント", "種類", "期間", "日時", "対象", "変更内容", "IPアドレス", "ブラウザ"):
        assert label in page
    by_company = plain(web.text(web.get(f"/audit?company_id={company.company_id}&kind=account_changed")))
    assert "アカウント情報の変更" in by_company and "監査 一郎 → 監査 二郎" in by_company
    assert "ロック解除" not in by_company.split("操作の記録", 1)[1]
    actor = plain(web.text(web.get(f"/audit?actor_id={world['client_admin'].user_id}")))
    assert "監査 一郎 → 監査 二郎" in actor and "ロック解除" not in actor.split("操作の記録", 1)[1]
    today = datetime.now(JST).date()
    dated = web.get(f"/audit?date_from={today.isoformat()}&date_to={today.isoformat()}&kind=account_changed")
    assert dated.status_code == 200 and "監査 二郎" in web.text(dated)
    past = web.text(web.get("/audit?date_from=2020-01-01&date_to=2020-01-31&kind=account_changed"))
    assert "条件に合う記録はありません。" in past
    # Bad filters: a message at each field, what was typed kept.
    bad = web.get("/audit?date_from=2026-02-30&date_to=abc&kind=nonsense&actor_id=%3Cx%3E")
    body = web.text(bad)
    assert bad.status_code == 400
    assert "年-月-日の形で入力してください" in body and "種類は一覧から選んでください" in body
    assert "ユーザーIDは半角英数字で入力してください" in body and 'value="2026-02-30"' in body
    reversed_range = web.get("/audit?date_from=2026-05-02&date_to=2026-05-01")
    assert reversed_range.status_code == 400 and "開始日が終了日より後になっています" in web.text(reversed_range)
    # CSV: UTF-8 with BOM, the page's columns.
    response = web.get(f"/audit.csv?company_id={company.company_id}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0] == AUDIT_CSV_HEADER
    assert any(row[3] == AUDIT_KINDS["account_changed"] and "監査 二郎" in row[6] for row in rows[1:])
    assert all(row[5] == company.name for row in rows[1:])


def test_pages_of_the_log_follow_on_with_a_cursor(client, world):
    """A page holds at most PAGE_SIZE entries; the next one starts where it ended, none twice."""
    from chalicelib.services import audit
    admin = world["admin"]
    company = make_company(f"株式会社ページ{uuid.uuid4().hex[:6]}")
    now = datetime.now(timezone.utc)
    for n in range(audit.PAGE_SIZE + 5):
        audit.record("contract_changed", actor=admin, target=f"company:{company.company_id}",
                     target_name=f"記録{n}", company_id=company.company_id, at=now - timedelta(minutes=n))
    first = audit.entries(admin, audit.AuditFilter(company_id=company.company_id))
    assert len(first.entries) == audit.PAGE_SIZE and first.cursor
    second = audit.entries(admin, audit.AuditFilter(company_id=company.company_id), after=first.cursor)
    assert len(second.entries) == 5 and second.cursor is None
    assert not {e.entry_id for e in first.entries} & {e.entry_id for e in second.entries}
    # The whole log, months newest first, goes on across a month's end the same way.
    whole = audit.entries(admin, audit.AuditFilter(kind="contract_changed"))
    assert whole.entries and whole.entries[0].at >= whole.entries[-1].at
    web = signed_in(client, admin)
    page = web.text(web.get(f"/audit?company_id={company.company_id}"))
    assert "さらに前の記録" in page
    following = re.search(r'href="(/audit\?[^"]*after=[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "記録54" in web.text(web.get(following))


def test_a_client_admin_reads_only_its_own_companys_entries_never_internal_ones(client, world):
    company, other = world["company"], world["other"]
    admin = world["admin"]
    from chalicelib.services import audit
    audit.record("contract_changed", actor=admin, target=f"company:{other.company_id}", target_name="他社の契約",
                 company_id=other.company_id)
    audit.record("invoices_exported", actor=admin, target="invoices", target_name="社内の書き出し",
                 company_id=company.company_id, internal=True)
    audit.record("contract_changed", actor=admin, target=f"company:{company.company_id}", target_name="自社の契約",
                 company_id=company.company_id)
    web = signed_in(client, world["client_admin"])
    page = web.text(web.get(f"/audit?company_id={other.company_id}"))  # a parameter cannot widen it
    assert "自社の契約" in page and "他社の契約" not in page and "社内の書き出し" not in page
    assert 'id="company_id"' not in page  # no client filter on its side
    # The agency's people by name only: never their login ID, address or browser; typing an agency
    # user ID as 操作者 finds nothing, so it does not tell that the ID exists either.
    assert admin.user_id not in page and "監査 管理者" in page
    by_admin = web.text(web.get(f"/audit?actor_id={admin.user_id}"))
    assert "自社の契約" not in by_admin and "条件に合う記録はありません。" in by_admin
    rows = web.get("/audit.csv").body.decode("utf-8-sig")
    assert "自社の契約" in rows and "他社の契約" not in rows and "社内の書き出し" not in rows
    assert admin.user_id not in rows
    # The HEAD a link checker sends downloads nothing, and is no entry.
    before = len([e for e in of_company(company.company_id) if e.event == "audit_exported"])
    client.http.request("HEAD", "/audit.csv", headers=web._headers())
    assert len([e for e in of_company(company.company_id) if e.event == "audit_exported"]) == before
    exported = next(e for e in of_company(company.company_id) if e.event == "audit_exported")
    assert not exported.internal and exported.actor_id == world["client_admin"].user_id
    # The other company's admin sees none of it.
    theirs = signed_in(client, world["other_admin"])
    theirs_page = theirs.text(theirs.get("/audit"))
    assert "自社の契約" not in theirs_page and "他社の契約" in theirs_page
    # A member and agency staff may not read it.
    assert signed_in(client, world["member"]).get("/audit").status_code == 403
    assert signed_in(client, world["staff"]).get("/audit").status_code == 403
    assert signed_in(client, world["staff"]).get("/audit.csv").status_code == 403


def test_the_menu_links_the_log_for_both_admins_only(client, world):
    for role, shown in (("admin", True), ("client_admin", True), ("staff", False), ("member", False)):
        web = signed_in(client, world[role])
        page = web.text(web.get("/"))
        assert ('href="/audit"' in page) is shown, role


def test_a_lost_audit_write_does_not_block_the_action_and_is_logged(client, world, caplog):
    """DynamoDB refuses the entry's PutItem (a real error answer from the emulator, not a mock):
    the change it records is saved all the same, and one line says the entry was lost."""
    admin, company = world["admin"], world["other"]
    web = signed_in(client, admin)
    web.get(f"/clients/{company.company_id}")
    FAULTS.fail("dynamodb", "PutItem", "ValidationException", times=1)  # not retried by botocore
    with caplog.at_level(logging.ERROR, logger="chalicelib.services.audit"):
        response = post(web, f"/clients/{company.company_id}/two-factor", {"require_two_factor": "1"})
    assert response.status_code == 303
    saved = Company.find(company.company_id)
    assert saved.require_two_factor
    saved.update(actions=[Company.require_two_factor.set(False)])  # enforced at sign-in: off for later tests
    lost = [record for record in caplog.records if record.getMessage() == "audit entry lost"]
    assert len(lost) == 1 and lost[0].audit_kind == "company_two_factor_changed"
    assert "company_two_factor_changed" not in kinds(of_company(company.company_id))
