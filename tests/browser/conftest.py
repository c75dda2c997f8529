"""Browser tests: Playwright for Python driving Debian's Chromium (package `chromium`).

Playwright's own browser download is not used (nor reachable): the browser is the system one,
at $CHROMIUM or /usr/bin/chromium. Without it the tests are skipped locally and fail on CI.
Every test in this folder is marked `browser`; a failing test leaves a full-page screenshot in
test-artifacts/.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM_ARGS, axe_source, axe_violations, chromium_path, new_context
from tests.support.paths import ARTIFACTS
from tests.support.waits import WAIT_MS

# One bound for every `expect` in this folder, set once (Playwright's own default is 5 s for
# assertions; contexts get the same bound for actions and navigations in `new_context`). Waits
# return as soon as their condition holds: the bound only decides how long a broken page takes
# to fail, and a busy machine made an idle machine's 5-10 s fail pages that were merely slow.
expect.set_options(timeout=WAIT_MS)

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session", autouse=True)
def _configured_site_url(aws) -> str | None:
    """IRAI_SITE_URL as configured, read before `live_server` (a session fixture too) changes it.

    Autouse fixtures of a scope are set up before the other fixtures of that scope.
    """
    return os.environ.get("IRAI_SITE_URL")


@pytest.fixture(autouse=True)
def _site_url_is_the_live_server_only_during_browser_tests(request, _configured_site_url):
    """Links in mail point at the live server while a browser test runs, and not afterwards.

    The session-wide `live_server` fixture switches IRAI_SITE_URL to its own URL until the end
    of the session; browser tests are collected before the integration tests, which expect
    the configured URL (http://127.0.0.1:8000) in the mail they read.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("live_server")
    os.environ["IRAI_SITE_URL"] = server.url
    try:
        yield
    finally:
        if _configured_site_url is not None:
            os.environ["IRAI_SITE_URL"] = _configured_site_url


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        message = (f"Chromium not found at {executable}: the browser tests need Debian's Chromium "
                   "(set CHROMIUM to use another path).")
        if os.environ.get("CI"):
            pytest.fail(message + " CI must install the `chromium` package.", pytrace=False)
        pytest.skip(message + " Install it with `apt-get install chromium`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _artifact_name(nodeid: str, suffix: str = "") -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150] + suffix + ".png"


def screenshot_on_failure(request, page, suffix: str = "") -> None:
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed or page.is_closed():
        return
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / _artifact_name(request.node.nodeid, suffix)), full_page=True)
    except Exception as error:  # noqa: BLE001 - a missing screenshot must not hide the failure
        print(f"could not save a screenshot: {error}")


# Every page a browser test opens is audited with axe-core; a serious or critical violation
# fails the test that found it.
_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_audited: set[str] = set()  # pages already audited this session (ids replaced, per signed-in menu)


def _app_page(url: str, origin: str | None) -> bool:
    return bool(origin) and url.startswith(origin) and "/dev/" not in url and "/static/" not in url


class Auditor:
    """Records the pages a test's tabs open; audits them with axe-core when the test has passed.

    Each tab is audited as it was left (forms with their errors, dialogs opened by a script),
    and every distinct URL it went through is opened again with the same cookies and audited
    too, once per session for URLs that differ only by ids and show the same menu. A tab with
    JavaScript turned off cannot run axe: its HTML is audited in a tab that can.
    """

    def __init__(self, origin: str | None):
        self.origin = origin
        self.urls: dict[object, list[str]] = {}  # per tab: each tab is its own signed-in profile
        self.scripted: dict[object, bool] = {}

    def watch(self, tab, *, scripted: bool = True) -> None:
        seen = self.urls.setdefault(tab, [])
        self.scripted[tab] = scripted
        tab.on("framenavigated", lambda frame: frame == tab.main_frame and seen.append(frame.url))

    def audit(self, tabs) -> list[str]:
        problems = []
        for tab in tabs:
            if tab.is_closed() or not _app_page(tab.url, self.origin):
                continue
            # A profile of its own with the tab's cookies: re-visiting never disturbs the tab.
            context = new_context(tab.context.browser, storage_state=tab.context.storage_state())
            probe = context.new_page()
            try:
                if self.scripted[tab]:
                    problems += self._report(tab.url + " (as left by the test)", axe_violations(tab))
                else:
                    probe.goto(tab.url)
                    probe.set_content(tab.content())  # same URL, so styles load as they did
                    problems += self._report(tab.url + " (as left, without JavaScript)", axe_violations(probe))
                for url in dict.fromkeys(self.urls.get(tab, [])):
                    if not _app_page(url, self.origin):
                        continue
                    answer = probe.goto(url)
                    # A URL a form was posted to (a refused form) may have no page behind GET.
                    if answer is None or not answer.headers.get("content-type", "").startswith("text/html"):
                        continue
                    menu = probe.evaluate("() => document.querySelector('header nav')?.innerText || ''")
                    key = _ULID.sub("{id}", url.split("#")[0]) + "|" + menu
                    if key in _audited:
                        continue
                    _audited.add(key)
                    problems += self._report(url, axe_violations(probe))
            finally:
                context.close()
        return problems

    @staticmethod
    def _report(where: str, violations: list[dict]) -> list[str]:
        return [f"{where}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}" for v in violations]


def _origin(request) -> str | None:
    if "live_server" not in request.fixturenames:
        return None
    return request.getfixturevalue("live_server").url


def _audit_after_passing(request, auditor: Auditor, tabs) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.passed or auditor.origin is None:
        return
    problems = auditor.audit(tabs)
    if problems:
        pytest.fail("axe-core found serious or critical violations:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(browser, request):
    axe_source()  # a missing axe-core stops the run before the test, not after it
    context = new_context(browser)
    tab = context.new_page()
    auditor = Auditor(_origin(request))
    auditor.watch(tab)
    try:
        yield tab
        _audit_after_passing(request, auditor, [tab])
    finally:
        screenshot_on_failure(request, tab)
        context.close()


@pytest.fixture
def open_page(browser, request):
    """Factory for pages with other context options (e.g. a phone viewport); all closed after."""
    axe_source()
    contexts = []
    pages = []
    auditor = Auditor(_origin(request))

    def factory(**options):
        context = new_context(browser, **options)
        contexts.append(context)
        tab = context.new_page()
        auditor.watch(tab, scripted=options.get("java_script_enabled", True))
        pages.append(tab)
        return tab

    try:
        yield factory
        _audit_after_passing(request, auditor, pages)
    finally:
        for number, tab in enumerate(pages, start=1):
            screenshot_on_failure(request, tab, f"-{number}" if len(pages) > 1 else "")
        for context in contexts:
            context.close()
