"""List every account under its e-mail address (GSI2), for accounts made before the reset form
took addresses (issue 16, item 7). Idempotent; run once per stage after deploying that change.

    python -m ops.index_emails --stage prod

Uses your AWS credentials and the stage's settings from .chalice/config.json. Reads the table
with a Scan: operators' tooling, never the app (its policy grants no Scan).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ops.create_admin import ROOT, stage_settings


def index_emails() -> int:
    """Give each account without one its GSI2 listing; returns how many were updated."""
    from chalicelib.models.users import User, email_partition

    updated = 0
    for user in User.scan(User.gsi2pk.does_not_exist()):
        # Conditioned on the address read: an edit in between already wrote its own listing.
        user.update(actions=[User.gsi2pk.set(email_partition(user.email)), User.gsi2sk.set(f"USER#{user.user_id.lower()}")],
                    condition=User.email == user.email)
        updated += 1
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="where .chalice/config.json is")
    args = parser.parse_args(argv)
    os.environ.update(stage_settings(args.stage, args.project_dir))
    print(f"Listed {index_emails()} accounts under their e-mail address.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
