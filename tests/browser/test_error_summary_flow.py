"""A refused form opens at its error summary, and each line of it leads to its field, in Chromium.

The contract form sits far below its company page's banner: after a refusal the page must open
at the summary (focused, in view), not at the top; a click on a line, or Tab and Enter, moves the
focus to the field it names. The 差し戻し reason the same. At 1280x800 and 390x844; screenshots
in /tmp/shots-E/.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import estimates
from tests.support.browser import DESKTOP, keep_screenshot, log_in, token
from tests.support.factories import make_client, make_company, make_request, make_user

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "phone": {"width": 390, "height": 844}}
SHOTS = Path("/tmp/shots-E")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    keep_screenshot(page, f"errors-{name}")


def _open(open_page, size: str) -> Page:
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    return open_page(viewport=VIEWPORTS[size], **extra)


def summary(page: Page):
    return page.get_by_role("alert").filter(has_text="入力内容を確認してください。")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_contract_form_opens_at_the_summary_and_its_link_reaches_the_field(live_server, open_page, size):
    company = make_company(f"株式会社契約{token()}")
    page = _open(open_page, size)
    log_in(page, live_server.url, make_user(name="管理 一郎").user_id)
    page.goto(f"{live_server.url}/clients/{company.company_id}")
    contract = page.get_by_role("region", name="契約")
    points = contract.get_by_label("ポイント(前払い")
    points.fill("たくさん")
    contract.get_by_role("button", name="契約を保存").click()

    found = summary(page)
    expect(found).to_be_focused()
    expect(found).to_be_in_viewport()
    shot(page, f"contract-summary-{size}")
    link = found.get_by_role("link", name="契約 ポイント: 数字で入力してください")
    link.click()
    expect(points).to_be_focused()
    expect(points).to_be_in_viewport()
    expect(points).to_have_value("たくさん")  # what was typed is kept
    shot(page, f"contract-field-{size}")

    # By keyboard: back to the summary, Tab to its link, Enter.
    found.focus()
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(points).to_be_focused()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_return_reason_is_named_in_the_summary_and_reached_from_it(live_server, open_page, size):
    company = make_company(f"株式会社差戻{token()}")
    client = make_client(company, role=CLIENT_ADMIN, name="差戻 花子")
    request = make_request(client, title="差し戻しの確認")
    estimates.save_estimate(make_user(role=AGENCY_STAFF, name="見積 太郎"), request.request_id,
                            [estimates.LineInput(name="画像の差し替え", points="2")], version=0)
    page = _open(open_page, size)
    log_in(page, live_server.url, client.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    page.get_by_role("button", name="差し戻し").click()

    found = summary(page)
    expect(found).to_be_focused()
    expect(found).to_be_in_viewport()
    shot(page, f"reason-summary-{size}")
    found.get_by_role("link", name="差し戻しの理由: 入力してください。").click()
    reason = page.get_by_label("差し戻しの理由")
    expect(reason).to_be_focused()
    expect(reason).to_be_in_viewport()
    # The field keeps its own message too.
    expect(reason).to_have_accessible_description("入力してください。")
    shot(page, f"reason-field-{size}")
