"""Write a stage's settings in .chalice/config.json from its infra stack's outputs.

    .venv/bin/python -m ops.stage_settings --stage prod --stack irai-prod-infra

Run it after each `aws cloudformation deploy` of infra/template.yaml and before `chalice deploy`:
the resource names (the bucket's ends in the account ID) then come from the stack, not from
hand edits. Uses your AWS credentials and region; only cloudformation:DescribeStacks is called.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"

# Stack output -> app setting (see the README's configuration table).
FROM_OUTPUTS = {
    "TableName": "IRAI_TABLE",
    "AttachmentsBucketName": "IRAI_BUCKET",
    "NoReplyAddress": "IRAI_MAIL_FROM",
    "ConfigurationSetName": "IRAI_MAIL_CONFIGURATION_SET",
    "MailFeedbackTopicName": "IRAI_MAIL_FEEDBACK_TOPIC",
}
# Stack parameter -> app setting.
FROM_PARAMETERS = {"SiteUrl": "IRAI_SITE_URL"}


class StackMismatch(ValueError):
    """The stack is not an Irai infra stack of this stage."""


def settings_from_stack(stack: dict, stage: str) -> dict[str, str]:
    """The settings a `describe-stacks` entry gives; raises StackMismatch for another stage's
    stack or one that lacks an output."""
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    if parameters.get("Stage") != stage:
        raise StackMismatch(f"stack {stack.get('StackName')} was deployed with Stage={parameters.get('Stage')!r}, not {stage!r}")
    missing = sorted(set(FROM_OUTPUTS) - set(outputs)) + sorted(set(FROM_PARAMETERS) - set(parameters))
    if missing:
        raise StackMismatch(f"stack {stack.get('StackName')} lacks {', '.join(missing)}: deploy the current infra/template.yaml")
    settings = {setting: outputs[key] for key, setting in FROM_OUTPUTS.items()}
    settings.update({setting: parameters[key] for key, setting in FROM_PARAMETERS.items()})
    return settings


def apply(config: dict, stage: str, settings: dict[str, str]) -> dict[str, str]:
    """Set ``settings`` in the stage's environment_variables (others are kept); returns what
    changed as {name: "old -> new"}."""
    if stage not in config.get("stages", {}):
        raise StackMismatch(f"unknown stage {stage!r}; .chalice/config.json has {', '.join(config.get('stages', {}))}")
    variables = config["stages"][stage].setdefault("environment_variables", {})
    changed = {name: f"{variables.get(name)!r} -> {value!r}" for name, value in settings.items() if variables.get(name) != value}
    variables.update(settings)
    return changed


def describe_stack(name: str, region: str | None) -> dict:
    import boto3

    return boto3.client("cloudformation", region_name=region).describe_stacks(StackName=name)["Stacks"][0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--stack", required=True, help="name of the infra stack, e.g. irai-prod-infra")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    parser.add_argument("--config", type=Path, default=CONFIG, help="the .chalice/config.json to update")
    args = parser.parse_args(argv)

    config = json.loads(args.config.read_text(encoding="utf-8"))
    try:
        changed = apply(config, args.stage, settings_from_stack(describe_stack(args.stack, args.region), args.stage))
    except StackMismatch as error:
        print(f"Nothing was written: {error}", file=sys.stderr)
        return 1
    args.config.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, change in changed.items():
        print(f"  {name}: {change}")
    print(f"{args.config}: stage {args.stage} {'updated' if changed else 'already up to date'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
