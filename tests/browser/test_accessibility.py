"""axe-core over every page of the app, as every role sees it, in Chromium.

The flows in this folder are audited by the `page` fixture as they go (conftest.py); this walk
adds every GET page of the route table, with real ids, for each role and for a visitor who is
not signed in, and the states a page only shows after a mistake (a refused form). No serious or
critical violation may remain.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import axe_violations, every_page, log_in, new_context, visit_pages
from tests.support.walk import SIGNED_IN_ROLES, build_world

ROLES = ("anonymous", *SIGNED_IN_ROLES)


@pytest.fixture(scope="module")
def world(aws):
    return build_world()



@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_serious_accessibility_violation(browser, live_server, app, world, role):
    context = new_context(browser)
    tab = context.new_page()
    try:
        if role != "anonymous":
            log_in(tab, live_server.url, world["people"][role].user_id)
        problems, audited = [], 0
        for path in visit_pages(context, tab, live_server.url, every_page(app, world["ids"])):
            audited += 1
            problems += [f"{path} -> {tab.url}: {v['impact']} {v['id']} {v['nodes']}" for v in axe_violations(tab)]
        assert audited >= 10
        assert problems == []
    finally:
        context.close()


def test_refused_forms_have_no_serious_accessibility_violation(browser, live_server, world):
    """Error states: a failed login, an empty reset form, a new request refused field by field, the
    inline comment form."""
    context = new_context(browser)
    tab = context.new_page()
    try:
        tab.goto(live_server.url + "/login")
        tab.get_by_label("ユーザーID", exact=True).fill("nobody-here")
        tab.get_by_label("パスワード", exact=True).fill("wrong-password")
        tab.get_by_role("button", name="ログイン", exact=True).click()
        expect(tab.get_by_role("alert")).to_be_visible()
        problems = axe_violations(tab)
        tab.goto(live_server.url + "/password/forgot")
        tab.get_by_role("button", name="再設定用のリンクを送る").click()
        expect(tab.locator("#user_id-error")).to_have_text("入力してください。")
        problems += axe_violations(tab)
        log_in(tab, live_server.url, world["people"]["client_member"].user_id)
        tab.goto(live_server.url + "/requests/new")
        tab.get_by_label("件名").fill("<b>タグ</b>")
        tab.get_by_role("button", name="依頼を登録する").click()
        expect(tab.locator(".field__error").first).to_be_visible()
        problems += axe_violations(tab)
        tab.goto(live_server.url + f"/requests/{world['request'].request_id}")
        tab.get_by_role("link", name="コメントを追加").click()
        expect(tab.get_by_label("コメント", exact=True)).to_be_visible()
        problems += axe_violations(tab)  # the inline comment form, opened by its script
        assert problems == []
    finally:
        context.close()


def test_the_audit_reports_what_it_is_meant_to(browser, live_server):
    """The hook is not blind: a page with an unlabeled field and an image without text fails."""
    context = new_context(browser)
    tab = context.new_page()
    try:
        tab.goto(live_server.url + "/login")
        tab.evaluate("""() => {
            document.querySelector("main").insertAdjacentHTML("beforeend",
                '<input type="text"><img src="/static/none.png"><button></button>');
        }""")
        found = {violation["id"] for violation in axe_violations(tab)}
        assert {"label", "image-alt", "button-name"} <= found
    finally:
        context.close()
