"""The IAM check of tests/support/aws_audit.py: it records the app's AWS calls and evaluates them
against .chalice/policy-<stage>.json as IAM would.

Threat: a policy that silently lacks a grant (the first deployed use fails with AccessDenied) or
that grants more than the app uses; and a check that records nothing and so passes whatever the
policy says.
"""
from __future__ import annotations

import json

import boto3
import pytest

from tests.support import aws_audit
from tests.support.aws_audit import RECORDER, Names, Operation, allowed, denials, iam_requests

PROD = Names("irai-prod", "irai-prod-attachments-111122223333", "no-reply@mail.example.co.jp", "irai-prod-mail")
SESSION = Names("irai-local", "irai-local-attachments-123456789012", "no-reply@example.com", "irai-local-mail")


def op(service: str, name: str, presigned: bool = False, **params) -> Operation:
    return Operation(service, name, json.dumps(params, sort_keys=True), presigned, SESSION)


def prod_policy() -> dict:
    return aws_audit.stage_policies()["prod"][0]


# --- what is recorded ---------------------------------------------------------------------------

def _since(before: set[Operation]) -> set[Operation]:
    return set(RECORDER.operations) - before


def test_the_apps_calls_are_recorded_with_their_resources(make_user):
    from chalicelib.models.users import User
    from chalicelib.services import attachments

    before = set(RECORDER.operations)
    user = make_user(role="client_admin", company_id="01J0000000000000000000TEST")
    User.find(user.user_id)
    attachments.start_upload(user, name="図.png", size=10, content_type="image/png")
    seen = _since(before)
    reads = [o for o in seen if (o.service, o.name) == ("dynamodb", "GetItem")]
    assert any(o.params["TableName"] == SESSION.table for o in reads)
    (post,) = [o for o in seen if o.service == "s3"]
    assert (post.name, post.presigned) == ("PutObject", True)
    assert post.params["Bucket"] == SESSION.bucket and post.params["Key"].startswith("uploads/pending/")
    assert post.session == SESSION


def test_calls_made_by_tests_or_provisioning_are_not_the_apps(aws):
    before = set(RECORDER.operations)
    boto3.client("dynamodb").describe_table(TableName=aws.table)
    boto3.client("s3").list_objects_v2(Bucket=aws.bucket, MaxKeys=1)
    assert _since(before) == set()


# --- operations as IAM sees them ------------------------------------------------------------------

def test_a_transaction_is_authorised_per_item_action():
    transaction = op("dynamodb", "TransactWriteItems", TransactItems=[
        {"ConditionCheck": {"TableName": "irai-local", "Key": {}}},
        {"Put": {"TableName": "irai-local", "Item": {}}},
        {"Update": {"TableName": "irai-local", "Key": {}}},
        {"Delete": {"TableName": "irai-local", "Key": {}}},
    ])
    table = "arn:aws:dynamodb:ap-northeast-1:123456789012:table/irai-prod"
    assert iam_requests(transaction, PROD) == [
        ("dynamodb:ConditionCheckItem", table, {}), ("dynamodb:PutItem", table, {}),
        ("dynamodb:UpdateItem", table, {}), ("dynamodb:DeleteItem", table, {})]


def test_copy_reads_the_source_and_writes_the_target_head_is_a_read():
    copy = op("s3", "CopyObject", Bucket=SESSION.bucket, Key="requests/b",
              CopySource={"Bucket": SESSION.bucket, "Key": "uploads/pending/a"})
    assert iam_requests(copy, PROD) == [
        ("s3:GetObject", f"arn:aws:s3:::{PROD.bucket}/uploads/pending/a", {}),
        ("s3:PutObject", f"arn:aws:s3:::{PROD.bucket}/requests/b", {})]
    head = op("s3", "HeadObject", Bucket=SESSION.bucket, Key="k")
    assert iam_requests(head, PROD) == [("s3:GetObject", f"arn:aws:s3:::{PROD.bucket}/k", {})]


def test_a_send_is_authorised_on_the_identity_and_the_configuration_set():
    send = op("ses", "SendRawEmail", Source="no-reply@example.com", ConfigurationSetName="irai-local-mail")
    context = {"ses:FromAddress": "no-reply@mail.example.co.jp"}
    assert iam_requests(send, PROD) == [
        ("ses:SendRawEmail", "arn:aws:ses:ap-northeast-1:123456789012:identity/mail.example.co.jp", context),
        ("ses:SendRawEmail", "arn:aws:ses:ap-northeast-1:123456789012:configuration-set/irai-prod-mail", context)]


# --- IAM evaluation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("action, resource, context, expected", [
    ("dynamodb:Query", "arn:aws:dynamodb:ap-northeast-1:1:table/irai-prod/index/GSI1", {}, True),
    ("DynamoDB:getitem", "arn:aws:dynamodb:ap-northeast-1:1:table/irai-prod", {}, True),  # actions ignore case
    ("dynamodb:Scan", "arn:aws:dynamodb:ap-northeast-1:1:table/irai-prod", {}, False),
    ("dynamodb:GetItem", "arn:aws:dynamodb:ap-northeast-1:1:table/irai-prodx", {}, False),
    ("dynamodb:GetItem", "arn:aws:dynamodb:ap-northeast-1:1:table/irai-dev", {}, False),
    ("dynamodb:PutItem", "arn:aws:dynamodb:ap-northeast-1:1:table/irai-prod/index/GSI1", {}, False),
    ("s3:GetObject", "arn:aws:s3:::irai-prod-attachments-1/requests/x", {}, True),
    ("s3:ListBucket", "arn:aws:s3:::irai-prod-attachments-1", {}, False),
    ("s3:GetObject", "arn:aws:s3:::irai-dev-attachments-1/requests/x", {}, False),
    ("ses:SendRawEmail", "arn:aws:ses:ap-northeast-1:1:configuration-set/irai-prod-mail",
     {"ses:FromAddress": "no-reply@mail.example.co.jp"}, True),
    ("ses:SendRawEmail", "arn:aws:ses:ap-northeast-1:1:configuration-set/irai-prod-mail",
     {"ses:FromAddress": "ceo@mail.example.co.jp"}, False),  # the condition is evaluated
    ("ses:SendRawEmail", "arn:aws:ses:ap-northeast-1:1:configuration-set/irai-prod-mail", {}, False),
    ("ses:SendEmail", "arn:aws:ses:ap-northeast-1:1:identity/mail.example.co.jp",
     {"ses:FromAddress": "no-reply@mail.example.co.jp"}, False),
])
def test_prod_policy_is_evaluated_with_iam_rules(action, resource, context, expected):
    assert allowed(prod_policy(), action, resource, context) is expected


def test_an_explicit_deny_wins():
    policy = {"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"}]}
    assert allowed(policy, "s3:GetObject", "arn:aws:s3:::b/k", {})
    assert not allowed(policy, "s3:DeleteObject", "arn:aws:s3:::b/k", {})


def test_a_policy_without_a_grant_the_app_uses_is_reported():
    policy, names = aws_audit.stage_policies()["prod"]
    used = {op("s3", "DeleteObject", Bucket=SESSION.bucket, Key="uploads/pending/a"),
            op("dynamodb", "Query", TableName="irai-local", IndexName="GSI2")}
    assert denials(used, {"prod": (policy, names)}) == []
    narrowed = json.loads(json.dumps(policy))
    for statement in narrowed["Statement"]:
        if isinstance(statement["Action"], list):
            statement["Action"] = [a for a in statement["Action"] if a != "s3:DeleteObject"]
    (denied,) = denials(used, {"prod": (narrowed, names)})
    assert denied.startswith(f"policy-prod.json denies s3:DeleteObject on arn:aws:s3:::{names.bucket}/uploads/pending/a")


def test_a_full_run_must_have_seen_the_known_operations():
    seen = {op("dynamodb", "GetItem", TableName="irai-local")}
    assert ("ses", "SendRawEmail", "") in aws_audit.missing(seen)
    assert ("dynamodb", "Query", "index") in aws_audit.missing(seen)
    assert ("dynamodb", "GetItem", "") not in aws_audit.missing(seen)


def test_a_grant_no_operation_needed_is_reported():
    policy, names = aws_audit.stage_policies()["prod"]
    used = {op("dynamodb", "GetItem", TableName="irai-local")}
    unused = aws_audit.unused_grants(used, {"prod": (policy, names)})
    assert any(line.startswith("policy-prod.json grants dynamodb:PutItem") for line in unused)
    assert not any("dynamodb:GetItem" in line for line in unused)
    assert not any("logs:" in line for line in unused)  # Lambda itself writes the logs
    query_on_table_only = {op("dynamodb", "Query", TableName="irai-local")}
    unused = aws_audit.unused_grants(query_on_table_only, {"prod": (policy, names)})
    assert any("dynamodb:Query (StageTableIndexQueries)" in line for line in unused)


def _session(args, **options):
    from types import SimpleNamespace

    option = SimpleNamespace(**{"keyword": "", "markexpr": "", "deselect": None, "collectonly": False, **options})
    return SimpleNamespace(config=SimpleNamespace(args=args, option=option), testscollected=700,
                           shouldstop=False, testsfailed=0)


def test_only_a_run_of_the_whole_suite_must_have_seen_everything():
    root = str(aws_audit.ROOT / "tests")
    assert aws_audit._full_run(_session([root]))
    assert not aws_audit._full_run(_session([root + "/integration"]))
    assert not aws_audit._full_run(_session([root], keyword="notifications"))
    assert not aws_audit._full_run(_session([root], collectonly=True))
    # A full run that recorded nothing fails: the hook itself could be broken.
    found = aws_audit.problems(_session([root]), operations=set())
    assert "a full run never performed ses SendRawEmail" in found
    assert any("grants dynamodb:GetItem" in line for line in found)
    assert aws_audit.problems(_session([root + "/unit"]), operations=set()) == []
