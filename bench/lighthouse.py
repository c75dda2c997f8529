"""Lighthouse performance and accessibility scores of the login, dashboard, request and new-request
pages, under Lighthouse's desktop preset and its mobile preset.

One Chromium per preset serves the four audits (bench/lighthouse.mjs). The same audit, with the
same budgets, runs in the browser test tier (tests/browser/test_lighthouse.py), where a score
under budget fails the run.

Why these settings hold on a shared 2-core machine:
- *Simulated* throttling (Lighthouse's default method) in both presets: the scores come from a
  model of the page's requests and main-thread work on a fixed network and CPU, not from the
  wall-clock of this run, so another process's load moves them little. Applied (devtools)
  throttling or none would time the real, noisy machine.
- Desktop because requests are filed and answered at office PCs; mobile because clients check a
  balance or approve an estimate on a phone (issue 17). The mobile preset models slow 4G and a
  4x slower CPU, so its budget is on the same simulated model, not on this machine's speed.
- Accessibility is deterministic (axe-core's checks on the rendered page): its budget is the
  perfect score, and any drop is a real regression.
- The simulation still starts from the main-thread work this run observed (scaled by the preset's
  CPU slowdown), so another process busy on the same cores lowers a single run's score: the
  mobile request page scored 0.92 once while the other test worker ran browser tests, and 0.98
  on a quiet machine. So each page is audited RUNS times and the run with the median performance
  score is the page's, as Lighthouse's own guidance on variability advises.
- The performance budgets sit under what the pages score (they are server-rendered, with small
  CSS and a few ES modules): a page that truly got slower (a heavy script, a render-blocking
  asset, a layout shift) falls below them in every run, noise does not.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from bench import world as w

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
RUNNER = Path(__file__).resolve().parent / "lighthouse.mjs"
PRESETS = ("desktop", "mobile")
RUNS = 3  # audits of each page per preset; the median one counts
BUDGETS = {"desktop": {"performance": 0.90, "accessibility": 1.0},
           "mobile": {"performance": 0.95, "accessibility": 1.0}}
# The browser tests' flags (tests/browser/conftest.py), and headless.
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    return os.environ.get("CHROME_PATH") or os.environ.get("CHROMIUM") or "/usr/bin/chromium"


def missing() -> str | None:
    """Why Lighthouse cannot run here, or None."""
    if not (os.path.isfile(chromium_path()) and os.access(chromium_path(), os.X_OK)):
        return f"Chromium not found at {chromium_path()} (apt-get install chromium, or set CHROME_PATH)"
    if not LIGHTHOUSE.exists():
        return "Lighthouse not installed (node_modules/.bin/lighthouse): run `make node_modules/.installed`"
    if not shutil.which("node"):
        return "node (Node.js 18.16+) not found"
    return None


def audit(pages: dict[str, tuple[str, dict]], preset: str = "desktop") -> dict:
    """Scores per page name under ``preset``; ``pages`` maps a name to (URL, extra request headers)."""
    job = {"chromePath": chromium_path(), "chromeFlags": CHROME_FLAGS, "preset": preset,
           "pages": [{"name": name, "url": url, "headers": headers} for name, (url, headers) in pages.items()]}
    done = subprocess.run(["node", str(RUNNER)], input=json.dumps(job), capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env={**os.environ, "CHROME_PATH": chromium_path()})
    if done.returncode != 0:
        raise RuntimeError(f"Lighthouse failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def cookie_header(session) -> dict:
    return {"Cookie": "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)}


def audit_pages(base_url: str, one: w.Scene, signed_in) -> dict:
    """Scores by preset, then by page, of the four pages of ``one``; ``signed_in`` is a requests
    session of its client admin."""
    headers = cookie_header(signed_in)
    pages = {name: (base_url + path, {} if name == "login" else headers) for name, path in w.pages(one).items()}
    scores = {preset: _median_run([audit(pages, preset) for _ in range(RUNS)]) for preset in PRESETS}
    for preset, by_page in scores.items():
        for name, result in by_page.items():
            # A signed-in page that bounced to the login page would be scored as the login page.
            if name != "login" and "/login" in result["url"]:
                raise RuntimeError(f"Lighthouse ({preset}) was sent to {result['url']} instead of the {name} page")
    return scores


def _median_run(runs: list[dict]) -> dict:
    """Per page, the run with the median performance score (its metrics with it). Accessibility is
    deterministic: the lowest score of any run counts, with every audit any run failed."""
    chosen = {}
    for name in runs[0]:
        results = sorted((run[name] for run in runs), key=lambda result: result["performance"] or 0)
        median = dict(results[len(results) // 2])
        median["accessibility"] = min((result["accessibility"] or 0) for result in results)
        median["failed"] = sorted({audit for result in results for audit in result["failed"]})
        chosen[name] = median
    return chosen


def under_budget(scores: dict) -> list[str]:
    return [f"{name} ({preset}): {category} {result[category]:.2f} < {budget:.2f}"
            + (f" (failing: {', '.join(result['failed'])})" if category == "accessibility" else "")
            for preset, by_page in scores.items() for name, result in by_page.items()
            for category, budget in BUDGETS[preset].items()
            if result[category] is None or result[category] < budget]


def report(scores: dict) -> str:
    rows = [[name, preset, f"{result['performance'] * 100:.0f}", f"{result['accessibility'] * 100:.0f}",
             f"{result['metrics']['fcp']:.0f}", f"{result['metrics']['lcp']:.0f}",
             f"{result['metrics']['tbt']:.0f}", f"{result['metrics']['cls']:.3f}"]
            for name in next(iter(scores.values())) for preset, by_page in scores.items()
            for result in [by_page[name]]]
    budgets = "; ".join(preset + " " + ", ".join(f"{category} ≥ {budget * 100:.0f}" for category, budget in limits.items())
                        for preset, limits in BUDGETS.items())
    return "\n".join([
        "## Lighthouse",
        "",
        "Lighthouse 12 (desktop and mobile presets, simulated throttling) in Debian's Chromium, one browser",
        "per preset for the four pages; signed-in pages as the client admin (session cookie sent as a",
        f"header). Budgets: {budgets} (also enforced by tests/browser/test_lighthouse.py).",
        "",
        w.table(["page", "preset", "performance", "accessibility", "FCP ms", "LCP ms", "TBT ms", "CLS"], rows),
    ])


def run() -> str:
    reason = missing()
    if reason:
        raise w.Failed("## Lighthouse\n\n**FAILED**: " + reason)
    one = w.scene()
    scores = audit_pages(w.world().url, one, w.session(one.client_id, one.password))
    section = report(scores)
    problems = under_budget(scores)
    if problems:
        raise w.Failed(section + "\n\n" + "\n".join(f"- **FAILED**: {problem}" for problem in problems))
    return section
