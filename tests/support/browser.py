"""What browser tests share: the Chromium profile, axe-core, and the steps every journey takes
(signing in, finding a heading, the request's thread).

Waits are Playwright's auto-retrying `expect` and actions, bounded by tests/support/waits.py; the
browser conftest sets those bounds once for every context and every `expect`.
"""
from __future__ import annotations

import functools
import os
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.waits import WAIT_MS

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
REQUEST_URL = re.compile(r"/requests/[0-9A-Z]{26}(\?[^#]*)?(#.*)?$")


def chromium_path() -> str:
    return os.environ.get("CHROMIUM") or "/usr/bin/chromium"


def new_context(browser, *, viewport: dict | None = None, **options):
    """A fresh browser profile as a Japanese user in Japan would have it."""
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                  viewport=viewport or DESKTOP, **options)
    context.set_default_timeout(WAIT_MS)
    return context


def token() -> str:
    """A short tag that makes this test's names (companies, titles) its own in the shared emulator."""
    return uuid.uuid4().hex[:8]


def keep_screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot in test-artifacts/ for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# ---- Signing in and finding things. ----
def heading(page: Page, name, level: int = 1):
    return page.get_by_role("heading", level=level, name=name)


def fill_login(page: Page, user_id: str, password: str = PASSWORD) -> None:
    """Fill and send the ログイン form the page shows (opened directly or reached through a link)."""
    expect(heading(page, "ログイン")).to_be_visible()
    page.get_by_label("ユーザーID", exact=True).fill(user_id)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_role("button", name="ログイン", exact=True).click()


def log_in(page: Page, base_url: str, user_id: str, password: str = PASSWORD, *,
           lands_on: str | None = "管理画面") -> None:
    """Sign in from /login and wait for the page it leads to (the 管理画面 unless ``lands_on`` says
    otherwise). ``lands_on=None`` returns once the form is sent, for tests that look at what comes
    next themselves (a refusal, the forced パスワード変更)."""
    page.goto(base_url + "/login")
    fill_login(page, user_id, password)
    if lands_on is not None:
        expect(heading(page, lands_on)).to_be_visible()


def thread(page: Page):
    """The やりとり (conversation) of the request page."""
    return page.get_by_role("region", name="やりとり")


# ---- axe-core (pinned in package.json, installed by `make test`). ----
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_FAILING_IMPACTS = ("serious", "critical")
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@functools.lru_cache(maxsize=1)
def axe_source() -> str:
    if not AXE.is_file():
        message = f"axe-core not found at {AXE}: run `make node_modules/.installed` (npm ci)."
        if os.environ.get("CI"):
            pytest.fail(message + " CI must install it.", pytrace=False)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def axe_violations(tab, *, tags: tuple[str, ...] | None = None,
                   impacts: tuple[str, ...] | None = AXE_FAILING_IMPACTS) -> list[dict]:
    """axe-core's violations on what ``tab`` shows now: of every rule, or only the rules of
    ``tags`` (e.g. WCAG_21_AA); of ``impacts`` only, or of any impact when it is None.

    The script is evaluated through the DevTools protocol, which the page's CSP (script-src
    'self', no inline script) does not apply to, so the page is audited as users get it.
    """
    if not tab.evaluate("() => typeof window.axe === 'object'"):
        tab.evaluate(axe_source())
    options = {"resultTypes": ["violations"]}
    if tags:
        options["runOnly"] = list(tags)
    found = tab.evaluate("""async ([options, limit]) => {
        const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error(`axe-core took over ${limit} ms`)), limit));
        const result = await Promise.race([axe.run(document, options), timeout]);
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary)}));
    }""", [options, WAIT_MS])
    return [v for v in found if impacts is None or v["impact"] in impacts]


def every_page(app, ids: dict) -> list[str]:
    """Every GET page of the route table with the world's real ids (tests/support/walk.py), and the
    not-found page: what the page walks (accessibility, sizes) open for each role."""
    from tests.support.walk import all_routes, fill

    paths = [fill(route, ids) for method, route in all_routes(app)
             if method == "GET" and not route.startswith(("/api/", "/static/")) and "/files/" not in route]
    return paths + ["/requests/00000000000000000000000000"]


def visit_pages(context, tab: Page, base_url: str, paths: list[str]):
    """Open each path in ``tab`` and yield it once it shows a page of the site. JSON (/health) and
    downloads (月次明細 CSV, a redirect to a PDF's S3 link) are passed over, asked first with the
    tab's own cookies, since a download would end the navigation; so is a path that leads off the
    site."""
    for path in paths:
        answer = context.request.get(base_url + path, max_redirects=0)
        if answer.status < 300 and not answer.headers.get("content-type", "").startswith("text/html"):
            continue
        location = answer.headers.get("location", "") if 300 <= answer.status < 400 else ""
        if location.startswith(("http://", "https://")) and not location.startswith(base_url):
            continue  # a presigned download from S3 (a 請求書's or a report's PDF): off the site, and a download
        tab.goto(base_url + path)
        if tab.url.startswith(base_url):
            yield path
