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
GOALS = {"dashboard": 10.0, "request": 8.0}  # p50 ÷ the baseline's p50 (issue 18)
GOAL_MARGIN = 1.25


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
    rows, missed = [], []
    for name, samples in times.items():
        p50, p99 = w.percentile(samples, 0.50), w.percentile(samples, 0.99)
        goal = GOALS.get(name)
        rows.append([name, f"{p50 * 1000:.1f}", f"{p99 * 1000:.1f}", f"{p50 / reference:.1f}×",
                     f"{p99 / reference:.1f}×", f"≤ {goal:.0f}×" if goal else ""])
        if goal and p50 / reference > goal * GOAL_MARGIN:
            missed.append(f"{name} {p50 / reference:.1f}× (goal {goal:.0f}×)")
    section = "\n".join([
        "## Server time per page",
        "",
        f"{ROUNDS} GETs of each page (after {WARMUP} warm-up rounds), one at a time over loopback HTTP,",
        "signed in as the client admin of a company with 10 requests; the request page has three comments.",
        "Milliseconds are this machine's; the ratios to the baseline's p50 are the figure to compare.",
        "Most of a page's time is its DynamoDB calls (see above) to the emulator; the first index query there",
        "after a write walks the whole table (to group it by index partition), where in AWS a query costs the",
        "same whatever the table holds.",
        "",
        w.table(["page", "p50 ms", "p99 ms", "p50 / baseline", "p99 / baseline", "goal (p50)"], rows),
        "",
        f"Goals are issue 18's; the bench fails when one is missed by more than {GOAL_MARGIN - 1:.0%}.",
    ])
    if missed:
        raise w.Failed(section + "\n\n**FAILED**: " + "; ".join(missed) + ".")
    return section
