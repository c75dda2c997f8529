"""Create the first agency admin of a deployed stage and send its ログインのご案内.

    python -m ops.create_admin --stage prod --user-id admin01 --email owner@agency.co.jp

Uses your AWS credentials and the stage's settings from .chalice/config.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stage_settings(stage: str, project_dir: Path = ROOT) -> dict[str, str]:
    config = json.loads((project_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    if stage not in config["stages"]:
        raise SystemExit(f"unknown stage {stage!r}; .chalice/config.json has {', '.join(config['stages'])}")
    settings = dict(config.get("environment_variables", {}))
    settings.update(config["stages"][stage].get("environment_variables", {}))
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--user-id", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="where .chalice/config.json is")
    args = parser.parse_args(argv)
    os.environ.update(stage_settings(args.stage, args.project_dir))

    from chalicelib.services import accounts

    created = accounts.ensure_agency_admin(args.user_id, args.email)
    if created is None:
        print(f"{args.user_id} exists already; nothing was changed.")
        return 1
    print(f"Created agency admin {created.user.user_id}.")
    # Client companies can be created only once the agency's settings are complete (issue 16).
    print("First sign-in leads to 設定: the agency's name, the admin's own name, phone and mail sender name.")
    if created.mail_sent:
        print(f"The login guidance (user ID, temporary password, URL) was mailed to {args.email}.")
    else:
        # SES refused (sandbox, unverified address): the person running this hands it over instead.
        print(f"The mail could not be sent. Temporary password: {created.temporary_password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
