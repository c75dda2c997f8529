"""`make bench`: run every section in one process, print it, write all of it to docs/figures.md.

Exits 1 when a section finds a broken invariant (its section is still printed and written).
"""
from __future__ import annotations

import importlib
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.world import Failed

COMMAND = "make bench"
FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures.md"

# In this order.
SECTIONS = [
    "bench.cold_start",
    "bench.dynamodb_calls",
    "bench.server_time",
    "bench.page_weight",
    "bench.concurrency",
    "bench.lighthouse",
    "bench.search",  # last: its 10,000 requests' postings would slow the emulator for the sections after it
]


# Sections other work adds (search's own bench module) join the run when their module exists.
OPTIONAL = ["bench.search"]


def _sections() -> list[str]:
    here = Path(__file__).resolve().parent
    extra = [name for name in OPTIONAL if (here / (name.rsplit(".", 1)[-1] + ".py")).exists()]
    return SECTIONS[:2] + extra + SECTIONS[2:]


def main(names: list[str]) -> int:
    chosen = [name for name in _sections() if not names or name.rsplit(".", 1)[-1] in names]
    started = datetime.now(timezone.utc)
    sections, failed = [], []
    for name in chosen:
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(name)
            section = getattr(module, "bench_run", module.run)()  # bench_run: run() and its goal check
        except Failed as failure:
            section = failure.section
            failed.append(name)
        print(section + "\n", flush=True)
        sections.append(section)
    header = "\n".join([
        "# Figures",
        "",
        f"Made by `{COMMAND}` on {started:%Y-%m-%d %H:%M} UTC, on a machine with {os.cpu_count()} cores, "
        f"Python {platform.python_version()} ({platform.system()} {platform.machine()}), shared with other work:",
        "read the ratios, not the milliseconds. Every figure below comes from that one run.",
    ])
    if names:
        print("(only some sections were asked for: docs/figures.md is left as it was)", file=sys.stderr)
    else:
        FIGURES.parent.mkdir(exist_ok=True)
        FIGURES.write_text(header + "\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
        print(f"written to {FIGURES.relative_to(FIGURES.parent.parent)}", file=sys.stderr)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
