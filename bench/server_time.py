"""Server time per page (p50, p99), as multiples of a minimal Chalice app making one DynamoDB call.

Timed at the client over loopback HTTP (keep-alive), so a figure is the app's whole work for the
page: routing, middleware, session, DynamoDB round trips to the emulator, rendering. Rounds
interleave the pages and the baseline, so load from the other users of the machine falls on all
of them alike.
"""
from __future__ import annotations

import requests as http

from bench import world as w

ROUNDS = 100
WARMUP = 5


def run() -> str:
    base = w.world().url
    one = w.scene()
    client = w.session(one.client_id, one.password)
    anonymous = http.Session()
    baseline = http.Session()
    targets = {name: (anonymous if name == "login" else client, base + path)
               for name, path in w.pages(one).items()}
    targets["baseline: minimal Chalice app, one GetItem"] = (baseline, w.world().baseline_url + "/")
    times: dict[str, list[float]] = {name: [] for name in targets}
    for round_number in range(WARMUP + ROUNDS):
        for name, (agent, url) in targets.items():
            response = None

            def fetch():
                nonlocal response
                response = agent.get(url, allow_redirects=False)

            took = w.timed(fetch)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: {url} answered {response.status_code}")
            if round_number >= WARMUP:
                times[name].append(took)
    reference = w.median(times["baseline: minimal Chalice app, one GetItem"])
    rows = []
    for name, samples in times.items():
        p50, p99 = w.percentile(samples, 0.50), w.percentile(samples, 0.99)
        rows.append([name, f"{p50 * 1000:.1f}", f"{p99 * 1000:.1f}", f"{p50 / reference:.1f}×",
                     f"{p99 / reference:.1f}×"])
    return "\n".join([
        "## Server time per page",
        "",
        f"{ROUNDS} GETs of each page (after {WARMUP} warm-up rounds), one at a time over loopback HTTP,",
        "signed in as the client admin of a company with 10 requests; the request page has three comments.",
        "Milliseconds are this machine's; the ratios to the baseline's p50 are the figure to compare.",
        "Most of a page's time is its DynamoDB calls (see above) to the emulator, whose index queries walk the",
        "whole in-memory table: in AWS a query costs a few milliseconds whatever the table holds.",
        "",
        w.table(["page", "p50 ms", "p99 ms", "p50 / baseline", "p99 / baseline"], rows),
    ])
