"""Lighthouse performance and accessibility budgets on the login, dashboard, request and new-request
pages, under Lighthouse's desktop and mobile presets.

The four pages are audited in one Chromium (bench/lighthouse.mjs); budgets and the reasons they
hold on a noisy machine are in bench/lighthouse.py, which `make bench` uses too. Without
Chromium or Lighthouse this test is skipped locally and fails in CI.
"""
from __future__ import annotations

import os

import pytest

from bench import lighthouse
from bench import world as bench_world


@pytest.fixture(scope="module")
def audited(live_server, request):
    reason = lighthouse.missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason + " CI must install Chromium and run `npm ci`.", pytrace=False)
        pytest.skip(reason)
    one = bench_world.make_scene("株式会社ライトハウス")
    signed_in = bench_world.session(one.client_id, one.password, live_server.url)
    scores = lighthouse.audit_pages(live_server.url, one, signed_in)
    # The scores are printed on every run, not only when a budget fails (pytest captures print()).
    plugins = request.config.pluginmanager
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        plugins.get_plugin("terminalreporter").write_line("\n" + lighthouse.report(scores))
    return scores


@pytest.mark.parametrize("preset", lighthouse.PRESETS)
def test_every_page_was_audited_where_it_was_asked_for(audited, live_server, preset):
    pages = audited[preset]
    assert set(pages) == {"login", "dashboard", "request", "new request"}
    # A signed-in page that bounced to the login page would be scored as the login page.
    for name in ("dashboard", "request", "new request"):
        assert "/login" not in pages[name]["url"], pages[name]["url"]
    assert pages["request"]["url"].startswith(live_server.url + "/requests/")


@pytest.mark.parametrize(("preset", "category"), [(preset, category) for preset in lighthouse.PRESETS
                                                  for category in sorted(lighthouse.BUDGETS[preset])])
def test_scores_meet_their_budget(audited, preset, category):
    budget = lighthouse.BUDGETS[preset][category]
    pages = audited[preset]
    below = {name: result[category] for name, result in pages.items()
             if result[category] is None or result[category] < budget}
    assert not below, (f"{preset} {category} under {budget}: {below}; failing accessibility audits: "
                       f"{ {name: result['failed'] for name, result in pages.items()} }")
