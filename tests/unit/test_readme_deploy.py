"""The README's "Deploying to AWS" and the deploy rehearsal (localdev/rehearsal.py) are the same
steps: every command of that section is one the rehearsal runs, or is listed there as manual
(DNS, ACM, the SES sandbox) with its reason, and every command the rehearsal runs is in it."""
from __future__ import annotations

from localdev import rehearsal
from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_of_the_deploy_section_is_rehearsed_or_listed_as_manual():
    commands = rehearsal.readme_deploy_commands(README)
    assert len(commands) > 20, "the section's commands were not found: was the heading renamed?"
    assert rehearsal.uncovered(commands) == [], (
        "the README's deploy section has commands the rehearsal neither runs nor lists as manual: "
        "add them to localdev/rehearsal.py's COMMANDS (and run them) or, for DNS, ACM or the SES "
        "sandbox only, to MANUAL")


def test_every_command_the_rehearsal_runs_is_in_the_deploy_section():
    commands = rehearsal.readme_deploy_commands(README)
    assert [c for c in rehearsal.COMMANDS if c not in commands] == []
    assert [c for c in rehearsal.MANUAL if not any(r.startswith(c) for r in commands)] == []


def test_a_new_command_in_the_section_is_reported():
    """The check above can fail: a step added to the section (a block or an inline command) is
    found and reported as not rehearsed."""
    heading = "\n## Deploying to AWS\n"
    added = README.replace(heading, heading + "\n```sh\naws s3 mb s3://irai-prod-extra \\\n  --region x\n```\n"
                           "Then `make deploy-everything STAGE=prod`.\n", 1)
    assert rehearsal.uncovered(rehearsal.readme_deploy_commands(added)) == [
        "aws s3 mb s3://irai-prod-extra --region x", "make deploy-everything STAGE=prod"]
