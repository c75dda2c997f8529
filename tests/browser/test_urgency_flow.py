"""特急料金・休業日 in a real browser: the agency admin sets the rules and closed days (a mistake is
shown at its field, everything typed kept), and a client picking 公開希望日 on 新規依頼 sees the lead
time and the multiplier at once, announced by a live region, with and without JavaScript.

Found by what a user sees; waits are Playwright's auto-retrying `expect`, never sleeps.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.urgency import UrgencySettings
from chalicelib.services import urgency
from tests.support.browser import WCAG_21_AA, axe_violations, heading, keep_screenshot, log_in
from tests.support.dates import business_days_ahead
from tests.support.factories import make_client, make_company, make_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_urgency_rules")]


def shot(page: Page, name: str) -> None:
    keep_screenshot(page, f"urgency-{name}")


def test_the_admin_sets_rules_and_closed_days(page, live_server):
    admin = make_user(name=f"管理 一郎{uuid.uuid4().hex[:6]}")
    log_in(page, live_server.url, admin.user_id)
    page.get_by_role("link", name="特急料金・休業日").click()
    expect(heading(page, "特急料金・休業日")).to_be_visible()

    first, second = page.get_by_role("group", name="条件1"), page.get_by_role("group", name="条件2")
    first.get_by_label("営業日数").fill("2")
    first.get_by_label("倍率").fill("2.0")
    second.get_by_label("営業日数").fill("5")
    second.get_by_label("倍率").fill("2.5")            # more than the shorter lead: refused
    closed = page.get_by_role("group", name="休業日1")
    closed.get_by_label("開始日").fill("2026-12-29")
    closed.get_by_label("終了日").fill("2027-01-04")
    closed.get_by_label("名称").fill("年末年始")
    page.get_by_role("button", name="保存する").click()

    expect(page.get_by_role("alert")).to_contain_text("入力内容を確認してください。")
    second = page.get_by_role("group", name="条件2")
    expect(second.get_by_label("倍率")).to_have_attribute("aria-invalid", "true")
    expect(second).to_contain_text("日数が長い条件ほど倍率を低くしてください(2営業日以内が ×2.0 です)。")
    # Everything typed is still there.
    expect(page.get_by_role("group", name="条件1").get_by_label("営業日数")).to_have_value("2")
    expect(second.get_by_label("倍率")).to_have_value("2.5")
    expect(page.get_by_role("group", name="休業日1").get_by_label("名称")).to_have_value("年末年始")
    assert axe_violations(page, tags=WCAG_21_AA, impacts=None) == []
    shot(page, "settings-error")

    second.get_by_label("倍率").fill("1.5")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_have_text("特急料金・休業日を保存しました。")
    expect(page.get_by_role("group", name="条件2").get_by_label("倍率")).to_have_value("1.5")
    expect(page.get_by_role("group", name="休業日1").get_by_label("終了日")).to_have_value("2027-01-04")
    page.get_by_text("今後1年の国民の祝日").click()
    expect(page.get_by_role("listitem").filter(has_text="元日")).to_be_visible()
    shot(page, "settings-saved")
    assert [(int(rule.within_days), rule.multiplier) for rule in UrgencySettings.load().rules] == [(2, "2.0"), (5, "1.5")]


def test_the_page_fits_a_phone(open_page, live_server):
    admin = make_user()
    page = open_page(viewport={"width": 375, "height": 740})
    log_in(page, live_server.url, admin.user_id)
    page.goto(f"{live_server.url}/settings/urgency")
    expect(heading(page, "特急料金・休業日")).to_be_visible()
    # Nothing sticks out sideways: the rows wrap instead.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "settings-phone")


def _set_rules() -> None:
    admin = make_user()
    urgency.update_settings(admin, urgency.UrgencyForm(rules=[urgency.RuleRow("2", "2.0"), urgency.RuleRow("5", "1.5")]),
                            version=UrgencySettings.load().version)


def test_picking_a_date_on_new_request_shows_the_multiplier(page, live_server):
    _set_rules()
    tag = uuid.uuid4().hex[:6]
    requester = make_client(make_company(f"株式会社特急{tag}"), name=f"急 花子{tag}")
    log_in(page, live_server.url, requester.user_id)
    page.get_by_role("link", name="新規依頼").click()
    expect(heading(page, "新規依頼の登録")).to_be_visible()
    hint = page.locator("#due_date-urgency")
    expect(hint).to_have_attribute("aria-live", "polite")
    expect(hint).to_be_hidden()                      # nothing to say before a date is picked

    due = page.get_by_label("公開希望日")
    due.fill(business_days_ahead(3).isoformat())
    expect(hint).to_have_text("公開希望日まで3営業日: 特急料金 ×1.5 が適用されます")
    # The input points at the hint, so it is read again when the field is focused.
    expect(due).to_have_attribute("aria-describedby", re.compile(r"\bdue_date-urgency\b"))
    expect(page.get_by_text("必ずこの日に対応できるというお約束ではありません。")).to_be_visible()
    assert axe_violations(page, tags=WCAG_21_AA, impacts=None) == []
    shot(page, "new-request-hint")

    due.fill(business_days_ahead(1).isoformat())
    expect(hint).to_have_text("公開希望日まで1営業日: 特急料金 ×2.0 が適用されます")
    due.fill(business_days_ahead(9).isoformat())
    expect(hint).to_have_text("公開希望日まで9営業日: 特急料金はかかりません")
    due.fill((urgency.today_in_japan() - timedelta(days=1)).isoformat())
    expect(hint).to_have_text("公開希望日には今日以降の日付を指定してください。")
    due.fill("")
    expect(hint).to_be_hidden()

    # Signed out meanwhile (another tab): the hint says it could not ask, rather than nothing.
    cookies = page.context.cookies()
    page.context.clear_cookies()
    due.fill(business_days_ahead(4).isoformat())
    expect(hint).to_have_text("ログインしてください。")
    page.context.add_cookies(cookies)
    page.context.set_offline(True)
    due.fill(business_days_ahead(5).isoformat())
    expect(hint).to_have_text("特急料金の有無を確認できませんでした。依頼はこのまま登録できます。")
    page.context.set_offline(False)

    # The form still files the request as before.
    due.fill(business_days_ahead(3).isoformat())
    page.get_by_label("件名").fill(f"お知らせの差し替え {tag}")
    page.get_by_label("依頼内容").fill("本日中に確認できる範囲でお願いします。")
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page.get_by_role("status")).to_have_text("依頼を登録しました。お返事まで少々お待ちください。")


def test_without_javascript_a_refused_form_carries_the_hint(open_page, live_server):
    _set_rules()
    tag = uuid.uuid4().hex[:6]
    requester = make_client(make_company(f"株式会社ノーJS特急{tag}"), name=f"静 次郎{tag}")
    page = open_page(java_script_enabled=False)
    log_in(page, live_server.url, requester.user_id)
    page.goto(f"{live_server.url}/requests/new")
    page.get_by_label("公開希望日").fill(business_days_ahead(2).isoformat())
    page.get_by_label("依頼内容").fill("件名を入れ忘れました。")
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page.get_by_role("alert")).to_contain_text("入力内容を確認してください。")
    expect(page.locator("#due_date-urgency")).to_have_text("公開希望日まで2営業日: 特急料金 ×2.0 が適用されます")
    expect(page.get_by_label("依頼内容")).to_have_value("件名を入れ忘れました。")
