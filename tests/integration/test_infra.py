"""infra/template.yaml and the emulator's resources must agree.

Each test reads a setting from the template and the same setting from the emulator after
localdev.provision has run, so changing either side alone fails here. The tests compare CFN
shapes with API shapes themselves rather than reusing provision's converters, which would only
check those converters against themselves.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from localdev import emulator
from localdev.provision import (
    TEMPLATE_PATH,
    Resources,
    default_local_params,
    load_template,
    provision,
    resolve_template,
)

SITE_URL = "http://127.0.0.1:8000"

# Everything emulator.start()/use_endpoint() sets or removes; other modules of the session run
# against their own emulator and must get their environment back.
_AWS_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
)


@dataclass
class Infra:
    params: dict[str, str]
    resources: Resources
    template: dict[str, Any]  # Resources of the template, Properties resolved for params
    dynamodb: Any
    s3: Any
    ses: Any
    sns: Any

    def props(self, logical_id: str) -> dict[str, Any]:
        return self.template[logical_id]["Properties"]


@pytest.fixture(scope="module")
def infra():
    saved = {name: os.environ.get(name) for name in _AWS_ENV}
    emu = emulator.start()
    try:
        params = default_local_params(SITE_URL)
        resources = provision(params)

        def client(service: str) -> Any:
            # Explicit endpoint: the clients stay on this emulator whatever the environment says.
            return boto3.client(service, region_name=emulator.REGION, endpoint_url=emu.endpoint_url)

        yield Infra(
            params=params,
            resources=resources,
            template=resolve_template(load_template(), params),
            dynamodb=client("dynamodb"),
            s3=client("s3"),
            ses=client("ses"),
            sns=client("sns"),
        )
    finally:
        emu.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _by(key: str, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


# --------------------------------------------------------------------------- template


def test_template_passes_cfn_lint():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE_PATH)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_short_form_tags_load_as_long_form(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "A: !Ref X\nB: !Sub 'x-${AWS::Region}'\nC: !GetAtt R.Arn\nD: !Join [',', [a, b]]\n"
        "E: !GetAtt [R, Arn]\n"
    )
    assert load_template(path) == {
        "A": {"Ref": "X"},
        "B": {"Fn::Sub": "x-${AWS::Region}"},
        "C": {"Fn::GetAtt": ["R", "Arn"]},
        "D": {"Fn::Join": [",", ["a", "b"]]},
        "E": {"Fn::GetAtt": ["R", "Arn"]},
    }


# --------------------------------------------------------------------------- DynamoDB


def _table(infra: Infra) -> dict[str, Any]:
    return infra.dynamodb.describe_table(TableName=infra.resources.table)["Table"]


def test_table_name_comes_from_template(infra):
    assert infra.resources.table == infra.props("Table")["TableName"] == "irai-local"


def test_table_keys_match_template(infra):
    expected = infra.props("Table")
    actual = _table(infra)
    assert actual["KeySchema"] == expected["KeySchema"]
    assert _by("AttributeName", actual["AttributeDefinitions"]) == _by(
        "AttributeName", expected["AttributeDefinitions"]
    )
    assert actual["BillingModeSummary"]["BillingMode"] == expected["BillingMode"]


def test_table_indexes_match_template(infra):
    expected = _by("IndexName", infra.props("Table")["GlobalSecondaryIndexes"])
    actual = _by("IndexName", _table(infra).get("GlobalSecondaryIndexes", []))
    assert set(actual) == set(expected)
    for name, index in expected.items():
        assert actual[name]["KeySchema"] == index["KeySchema"], name
        assert actual[name]["Projection"] == index["Projection"], name


def test_table_ttl_matches_template(infra):
    expected = infra.props("Table")["TimeToLiveSpecification"]
    assert expected == {"AttributeName": "expires_at", "Enabled": True}
    actual = infra.dynamodb.describe_time_to_live(TableName=infra.resources.table)
    assert actual["TimeToLiveDescription"] == {
        "AttributeName": expected["AttributeName"],
        "TimeToLiveStatus": "ENABLED",
    }


def test_table_point_in_time_recovery_enabled(infra):
    assert infra.props("Table")["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    backups = infra.dynamodb.describe_continuous_backups(TableName=infra.resources.table)
    description = backups["ContinuousBackupsDescription"]
    assert description["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_table_encrypted(infra):
    assert infra.props("Table")["SSESpecification"] == {"SSEEnabled": True}
    assert _table(infra)["SSEDescription"]["Status"] == "ENABLED"


# --------------------------------------------------------------------------- S3


def test_bucket_name_comes_from_template(infra):
    expected = infra.props("AttachmentsBucket")["BucketName"]
    assert infra.resources.bucket == expected == f"irai-local-attachments-{emulator.ACCOUNT_ID}"
    names = [b["Name"] for b in infra.s3.list_buckets()["Buckets"]]
    assert expected in names


def test_bucket_public_access_fully_blocked(infra):
    expected = infra.props("AttachmentsBucket")["PublicAccessBlockConfiguration"]
    actual = infra.s3.get_public_access_block(Bucket=infra.resources.bucket)
    assert actual["PublicAccessBlockConfiguration"] == expected
    assert set(expected.values()) == {True} and len(expected) == 4


def test_bucket_encryption_matches_template(infra):
    (expected,) = infra.props("AttachmentsBucket")["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    actual = infra.s3.get_bucket_encryption(Bucket=infra.resources.bucket)
    (rule,) = actual["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == expected["ServerSideEncryptionByDefault"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_ownership_enforced(infra):
    expected = infra.props("AttachmentsBucket")["OwnershipControls"]
    actual = infra.s3.get_bucket_ownership_controls(Bucket=infra.resources.bucket)
    assert actual["OwnershipControls"] == expected
    assert expected["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_bucket_cors_allows_exactly_the_site_origin(infra):
    (expected,) = infra.props("AttachmentsBucket")["CorsConfiguration"]["CorsRules"]
    (actual,) = infra.s3.get_bucket_cors(Bucket=infra.resources.bucket)["CORSRules"]
    assert actual["AllowedOrigins"] == expected["AllowedOrigins"] == [infra.params["SiteUrl"]]
    assert sorted(actual["AllowedMethods"]) == sorted(expected["AllowedMethods"])
    assert actual["AllowedHeaders"] == expected["AllowedHeaders"]
    assert actual["MaxAgeSeconds"] == expected["MaxAge"]


def test_bucket_lifecycle_matches_template(infra):
    expected = _by("Id", infra.props("AttachmentsBucket")["LifecycleConfiguration"]["Rules"])
    actual = _by(
        "ID",
        infra.s3.get_bucket_lifecycle_configuration(Bucket=infra.resources.bucket)["Rules"],
    )
    assert set(actual) == set(expected)
    for rule_id, rule in expected.items():
        got = actual[rule_id]
        assert got["Status"] == rule["Status"], rule_id
        assert got["Filter"].get("Prefix", "") == rule.get("Prefix", ""), rule_id
        assert got.get("Expiration", {}).get("Days") == rule.get("ExpirationInDays"), rule_id
        assert got.get("AbortIncompleteMultipartUpload") == rule.get(
            "AbortIncompleteMultipartUpload"
        ), rule_id

    # The behaviour the app relies on, whatever the rules are called.
    pending = [r for r in actual.values() if r["Filter"].get("Prefix") == "uploads/pending/"]
    assert [r["Expiration"] for r in pending] == [{"Days": 1}]
    assert any(
        r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1}
        for r in actual.values()
    )


# --------------------------------------------------------------------------- SES


def test_mail_domain_identity_verified(infra):
    domain = infra.props("MailDomainIdentity")["EmailIdentity"]
    assert domain == infra.resources.mail_domain == infra.params["MailDomain"]
    attributes = infra.ses.get_identity_verification_attributes(Identities=[domain])
    assert attributes["VerificationAttributes"][domain]["VerificationStatus"] == "Success"


def test_active_rule_set_bounces_mail_to_no_reply(infra):
    expected_rule = infra.props("BounceNoReplyRule")["Rule"]
    active = infra.ses.describe_active_receipt_rule_set()
    assert active["Metadata"]["Name"] == infra.resources.rule_set
    assert infra.resources.rule_set == infra.props("InboundRuleSet")["RuleSetName"]

    rule = _by("Name", active["Rules"])[expected_rule["Name"]]
    assert rule["Enabled"] is True and rule["ScanEnabled"] is True
    assert rule["Recipients"] == expected_rule["Recipients"] == [infra.resources.no_reply]

    first, second = rule["Actions"]
    (expected_bounce, expected_stop) = expected_rule["Actions"]
    bounce = first["BounceAction"]
    assert bounce == expected_bounce["BounceAction"]
    assert bounce["SmtpReplyCode"] == "550"
    assert bounce["StatusCode"] == "5.1.1"
    assert bounce["Sender"] == infra.resources.no_reply
    assert infra.params["SiteUrl"] in bounce["Message"]
    assert second == expected_stop == {"StopAction": {"Scope": "RuleSet"}}


# --------------------------------------------------------------------------- SES sending feedback


def _topic_arn(infra: Infra) -> str:
    arns = [t["TopicArn"] for t in infra.sns.list_topics()["Topics"]]
    (arn,) = [a for a in arns if a.rsplit(":", 1)[1] == infra.resources.feedback_topic]
    return arn


def _event_destinations(infra: Infra) -> list[dict[str, Any]]:
    described = infra.ses.describe_configuration_set(
        ConfigurationSetName=infra.resources.configuration_set,
        ConfigurationSetAttributeNames=["eventDestinations"],
    )
    return [d for d in described.get("EventDestinations", []) if d]


def test_configuration_set_name_comes_from_template(infra):
    expected = infra.props("MailConfigurationSet")["Name"]
    assert infra.resources.configuration_set == expected == "irai-local-mail"
    names = [c["Name"] for c in infra.ses.list_configuration_sets()["ConfigurationSets"]]
    assert expected in names


def test_feedback_topic_name_comes_from_template(infra):
    expected = infra.props("MailFeedbackTopic")["TopicName"]
    assert infra.resources.feedback_topic == expected == "irai-local-mail-feedback"
    arn = _topic_arn(infra)
    assert arn == f"arn:aws:sns:{emulator.REGION}:{emulator.ACCOUNT_ID}:{expected}"
    # Not KMS-encrypted (SES could not publish to a key it has no grant on); see the template.
    assert "KmsMasterKeyId" not in infra.props("MailFeedbackTopic")
    assert "KmsMasterKeyId" not in infra.sns.get_topic_attributes(TopicArn=arn)["Attributes"]


def test_feedback_topic_policy_lets_only_ses_of_this_account_publish(infra):
    expected = infra.props("MailFeedbackTopicPolicy")
    arn = _topic_arn(infra)
    assert expected["Topics"] == [arn]
    actual = json.loads(infra.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert actual == expected["PolicyDocument"]

    # The behaviour that matters, whatever the statements are called.
    (statement,) = actual["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == arn
    assert statement["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": emulator.ACCOUNT_ID}
    }


def test_configuration_set_publishes_bounces_and_complaints_to_the_topic(infra):
    props = infra.props("MailFeedbackEventDestination")
    assert props["ConfigurationSetName"] == infra.resources.configuration_set
    expected = props["EventDestination"]
    (actual,) = _event_destinations(infra)
    assert actual["Name"] == expected["Name"]
    assert actual["Enabled"] is True and expected["Enabled"] is True
    assert sorted(actual["MatchingEventTypes"]) == sorted(expected["MatchingEventTypes"])
    assert {"bounce", "complaint"} <= set(actual["MatchingEventTypes"])
    # CFN's SnsDestination is the API's SNSDestination.
    assert actual["SNSDestination"] == expected["SnsDestination"] == {"TopicARN": _topic_arn(infra)}
    assert not {"CloudWatchDestination", "KinesisFirehoseDestination"} & set(actual)


# --------------------------------------------------------------------------- provisioning


def test_provision_is_idempotent(infra):
    again = provision(infra.params)
    assert again == infra.resources
    # Re-running must not duplicate the receipt rule, the topic or the event destination.
    rules = infra.ses.describe_receipt_rule_set(RuleSetName=again.rule_set)["Rules"]
    assert [r["Name"] for r in rules] == ["bounce-no-reply"]
    topics = [t["TopicArn"] for t in infra.sns.list_topics()["Topics"]]
    assert [t for t in topics if t.endswith(":" + again.feedback_topic)] == [_topic_arn(infra)]
    assert [d["Name"] for d in _event_destinations(infra)] == [
        infra.props("MailFeedbackEventDestination")["EventDestination"]["Name"]
    ]


def test_template_denies_requests_without_tls_to_the_bucket(infra):
    """Declared for AWS; not applied in the emulator, which only speaks plain HTTP."""
    document = infra.props("AttachmentsBucketPolicy")["PolicyDocument"]
    deny = [s for s in document["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Action"] == "s3:*" for s in deny)
