"""Write a stage's settings in .chalice/config.json from its infra stack's outputs.

    .venv/bin/python -m ops.stage_settings --stage prod --stack irai-prod-infra

Run it after each `aws cloudformation deploy` of infra/template.yaml and before `chalice deploy`:
the resource names (the bucket's ends in the account ID) then come from the stack, not from
hand edits. The stage's .chalice/policy-<stage>.json gets the same sender: the function may send
only as the no-reply address, through the stack's mail domain and configuration set. Uses your
AWS credentials and region; only cloudformation:DescribeStacks is called.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"
SEND_STATEMENT = "SendMailFromNoReplyOnly"

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
    missing = sorted(set(FROM_OUTPUTS) - set(outputs)) + sorted({*FROM_PARAMETERS, "MailDomain"} - set(parameters))
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


def mail_domain(stack: dict) -> str:
    return next(p["ParameterValue"] for p in stack["Parameters"] if p["ParameterKey"] == "MailDomain")


def apply_to_policy(policy: dict, *, domain: str, sender: str, configuration_set: str) -> bool:
    """Let the policy's send statement name exactly this sender; returns whether it changed."""
    (statement,) = [s for s in policy["Statement"] if s.get("Sid") == SEND_STATEMENT]
    before = json.dumps(statement, sort_keys=True)
    # SES authorises a send against the identity it uses (the domain, or the address when that
    # is verified by itself) and against the configuration set named in the call.
    statement["Resource"] = [f"arn:aws:ses:*:*:identity/{domain}", f"arn:aws:ses:*:*:identity/{sender}",
                             f"arn:aws:ses:*:*:configuration-set/{configuration_set}"]
    statement["Condition"] = {"StringEquals": {"ses:FromAddress": sender}}
    return json.dumps(statement, sort_keys=True) != before


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
    policy_path = args.config.parent / f"policy-{args.stage}.json"
    policy = json.loads(policy_path.read_text(encoding="utf-8"))
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stack = describe_stack(args.stack, args.region)
        settings = settings_from_stack(stack, args.stage)
        changed = apply(config, args.stage, settings)
    except (StackMismatch, ClientError, BotoCoreError) as error:  # e.g. no such stack in this region
        print(f"Nothing was written: {error}", file=sys.stderr)
        return 1
    policy_changed = apply_to_policy(policy, domain=mail_domain(stack), sender=settings["IRAI_MAIL_FROM"],
                                     configuration_set=settings["IRAI_MAIL_CONFIGURATION_SET"])
    args.config.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    policy_path.write_text(json.dumps(policy, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, change in changed.items():
        print(f"  {name}: {change}")
    if policy_changed:
        print(f"  {policy_path.name}: {SEND_STATEMENT} now names {settings['IRAI_MAIL_FROM']}")
    print(f"{args.config}: stage {args.stage} {'updated' if changed or policy_changed else 'already up to date'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
