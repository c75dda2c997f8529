"""Index every request's 件名, 依頼内容 and comments for keyword search (issue 18, item 4), for
requests filed before the index existed; run once per stage after deploying that change.
Idempotent (postings are put, never added to), so running it again, or after a lost follow-up
write, only repairs.

    python -m ops.index_search --stage prod

Uses your AWS credentials and the stage's settings from .chalice/config.json. Finds the requests
with a Scan: operators' tooling, never the app (its policy grants no Scan). Each request then
costs one query (its thread) and its postings in batches of 25.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ops.create_admin import ROOT, stage_settings


def index_search() -> int:
    """Index every request; returns how many were indexed."""
    from chalicelib.models.requests import Request
    from chalicelib.services import search

    indexed = 0
    for request in Request.scan(Request.sk == "REQUEST", attributes_to_get=["PK", "SK", "type", "request_id"]):
        if search.index_request(request.request_id) is not None:
            indexed += 1
    return indexed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="where .chalice/config.json is")
    args = parser.parse_args(argv)
    os.environ.update(stage_settings(args.stage, args.project_dir))
    print(f"Indexed {index_search()} requests for keyword search.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
