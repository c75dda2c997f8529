"""Page weight per page (HTML, CSS, JS; raw and compressed bytes) and requests per page, in Chromium.

Measured in Debian's Chromium through Playwright: every response the page loads on a first visit
(empty cache), classified by Chromium's resource type. Raw bytes are the bodies as served; the
local server does not compress, so "compressed" is each body gzipped (level 6), what a browser
receives from a gzip-compressing front (API Gateway with compression on, CloudFront).
"""
from __future__ import annotations

import gzip
from urllib.parse import urlsplit

from bench import world as w
from bench.lighthouse import CHROME_FLAGS, chromium_path

KINDS = {"document": "HTML", "stylesheet": "CSS", "script": "JS"}


def _weigh(browser, url: str, cookies: list[dict]) -> dict:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 800})
    context.add_cookies(cookies)
    tab = context.new_page()
    responses = []
    tab.on("response", lambda response: responses.append(response))
    tab.goto(url, wait_until="networkidle")
    if tab.url != url:  # e.g. a signed-in page that bounced to the login page
        raise RuntimeError(f"{url} ended at {tab.url}")
    totals = {kind: [0, 0] for kind in (*KINDS.values(), "other")}
    count = 0
    for response in responses:
        if response.request.url.startswith("data:"):
            continue
        count += 1
        body = response.body() if response.status < 300 or response.status >= 400 else b""
        kind = KINDS.get(response.request.resource_type, "other")
        totals[kind][0] += len(body)
        totals[kind][1] += len(gzip.compress(body, compresslevel=6)) if body else 0
    context.close()
    return {"requests": count, "totals": totals}


def run() -> str:
    from playwright.sync_api import sync_playwright

    base = w.world().url
    one = w.scene()
    signed_in = w.session(one.client_id, one.password)
    host = urlsplit(base).hostname
    cookies = [{"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in signed_in.cookies]
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROME_FLAGS[1:])
        try:
            for name, path in w.pages(one).items():
                weight = _weigh(browser, base + path, [] if name == "login" else cookies)
                totals = weight["totals"]
                cells = [f"{totals[kind][0] / 1024:.1f} / {totals[kind][1] / 1024:.1f}"
                         for kind in (*KINDS.values(), "other")]
                all_raw = sum(raw for raw, _ in totals.values())
                all_gzip = sum(packed for _, packed in totals.values())
                rows.append([name, *cells, f"{all_raw / 1024:.1f} / {all_gzip / 1024:.1f}",
                             f"{all_gzip / all_raw:.2f}", weight["requests"]])
        finally:
            browser.close()
    return "\n".join([
        "## Page weight",
        "",
        "A first visit (empty cache) in Chromium, 1280×800, signed in as the client admin except on",
        "login. KiB raw / gzipped, by Chromium's resource type (other: icons, images, fonts).",
        "Static files have content-hashed URLs and a one-year cache, so later visits fetch only the HTML.",
        "",
        w.table(["page", "HTML", "CSS", "JS", "other", "total", "gzip / raw", "requests"], rows),
    ])
