"""The hand-written IAM policies (.chalice/policy-<stage>.json; autogen_policy is off).

Shape only: least privilege, scoped to the stage's own resources, and in step with the stage's
settings in .chalice/config.json. Whether they allow every call the app makes is another test's job.
"""
from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = sorted(CONFIG["stages"])


def policy(stage: str) -> dict:
    return json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements_for(document: dict, action: str) -> list[dict]:
    return [s for s in document["Statement"] if action in as_list(s["Action"])]


def iam_match(pattern: str, value: str) -> bool:
    """IAM wildcards: * any run of characters, ? one character (fnmatch without [] classes)."""
    return fnmatchcase(value, pattern.replace("[", "[[]"))


def test_every_stage_has_a_policy_file_that_chalice_uses():
    assert CONFIG.get("autogen_policy") is False
    for stage in STAGES:
        assert CONFIG["stages"][stage].get("iam_policy_file") == f"policy-{stage}.json"
        assert policy(stage)["Version"] == "2012-10-17"


@pytest.mark.parametrize("stage", STAGES)
def test_no_wildcard_actions_or_resources(stage):
    for statement in policy(stage)["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not {"NotAction", "NotResource", "NotPrincipal", "Principal"} & set(statement)
        for action in as_list(statement["Action"]):
            assert "*" not in action and "?" not in action, action
        for resource in as_list(statement["Resource"]):
            assert resource != "*", f"{statement.get('Sid')}: Resource '*'"


def _generic(stage: str) -> str:
    """The stage's policy with its own names (stage, sender, mail domain) replaced by placeholders."""
    sender = {**CONFIG.get("environment_variables", {}), **CONFIG["stages"][stage]["environment_variables"]}[
        "IRAI_MAIL_FROM"]
    text = json.dumps(policy(stage)).replace(f"irai-{stage}", "irai-STAGE").replace(sender, "SENDER")
    return text.replace(sender.partition("@")[2], "MAIL-DOMAIN")


def test_dev_and_prod_differ_only_in_the_stage_name_and_sender():
    assert _generic("dev") == _generic("prod")


@pytest.mark.parametrize("stage", STAGES)
def test_policy_covers_the_stage_settings_and_nothing_wider(stage):
    document = policy(stage)
    settings = {**CONFIG.get("environment_variables", {}), **CONFIG["stages"][stage]["environment_variables"]}

    table_arn = f"arn:aws:dynamodb:ap-northeast-1:123456789012:table/{settings['IRAI_TABLE']}"
    for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem", "BatchWriteItem"):
        resources = [r for s in statements_for(document, f"dynamodb:{action}") for r in as_list(s["Resource"])]
        assert any(iam_match(r, table_arn) for r in resources), action
        assert not any(iam_match(r, table_arn.replace(f"irai-{stage}", "irai-other")) for r in resources)
    index_resources = [r for s in statements_for(document, "dynamodb:Query") for r in as_list(s["Resource"])]
    assert any(iam_match(r, f"{table_arn}/index/GSI1") for r in index_resources)

    object_arn = f"arn:aws:s3:::{settings['IRAI_BUCKET']}/uploads/pending/some-key"
    for action in ("GetObject", "PutObject", "DeleteObject"):
        resources = [r for s in statements_for(document, f"s3:{action}") for r in as_list(s["Resource"])]
        assert any(iam_match(r, object_arn) for r in resources), action
        other_stage = object_arn.replace(f"irai-{stage}-", "irai-other-")
        assert not any(iam_match(r, other_stage) for r in resources), action

    (send,) = statements_for(document, "ses:SendRawEmail")
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": settings["IRAI_MAIL_FROM"]}}
    # SES authorizes a send against the identity and against the configuration set it names.
    send_resources = as_list(send["Resource"])
    identity_arn = f"arn:aws:ses:ap-northeast-1:123456789012:identity/{settings['IRAI_MAIL_FROM'].split('@')[1]}"
    assert any(iam_match(r, identity_arn) for r in send_resources)
    config_set_arn = ("arn:aws:ses:ap-northeast-1:123456789012:configuration-set/"
                      f"{settings['IRAI_MAIL_CONFIGURATION_SET']}")
    assert any(iam_match(r, config_set_arn) for r in send_resources)
    assert not any(iam_match(r, config_set_arn.replace(f"irai-{stage}-", "irai-other-")) for r in send_resources)

    (logs,) = statements_for(document, "logs:PutLogEvents")
    function_log_group = f"arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/lambda/{CONFIG['app_name']}-{stage}"
    assert iam_match(logs["Resource"], function_log_group)
    assert iam_match(logs["Resource"], function_log_group + ":log-stream:2026/01/01/[$LATEST]abc")
    assert not iam_match(logs["Resource"], "arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/lambda/other")


@pytest.mark.parametrize("stage", STAGES)
def test_policy_is_valid_iam_syntax(stage):
    from moto.iam.policy_validation import IAMPolicyDocumentValidator

    IAMPolicyDocumentValidator(json.dumps(policy(stage))).validate()
