"""Each patch of localdev/moto_patches.py is still needed: these run moto *without* it (the
patches are applied only in the rehearsal's own process) and fail once moto behaves like AWS,
so that the patch can be deleted. The rehearsal itself (tests/packaging/test_deploy_rehearsal.py)
shows that the patched moto deploys."""
from __future__ import annotations

import json

import pytest
from moto.apigateway.exceptions import InvalidOpenApiDocVersionException
from moto.apigateway.models import APIGatewayBackend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.iam.models import Role
from moto.s3.models import FakeBucket, s3_backends

from localdev import moto_patches
from localdev.provision import load_template
from tests.support.paths import ROOT

REGION = "ap-northeast-1"
INFRA = load_template(ROOT / "infra" / "template.yaml")["Resources"]


@pytest.fixture(autouse=True)
def unpatched_moto():
    assert not moto_patches.ORIGINALS, "moto is patched in this process: these tests need moto's own behaviour"


def chalice_swagger() -> dict:
    """The shape of the document `chalice deploy` imports: Swagger 2.0, an info without description."""
    return {"swagger": "2.0", "info": {"version": "1.0", "title": "irai"}, "schemes": ["https"],
            "paths": {"/health": {"get": {"responses": {"200": {"description": "ok"}}}}}}


def test_import_rest_api_still_needs_a_description():
    with pytest.raises(KeyError, match="description"):
        APIGatewayBackend(REGION, DEFAULT_ACCOUNT_ID).import_rest_api(
            {**chalice_swagger(), "swagger": None, "openapi": "3.0.1"}, False)


def test_put_rest_api_still_refuses_swagger_2():
    backend = APIGatewayBackend(REGION, DEFAULT_ACCOUNT_ID)
    api = backend.create_rest_api(name="irai", description="")
    with pytest.raises(InvalidOpenApiDocVersionException):
        backend.put_rest_api(api.id, chalice_swagger(), False)


def test_cloudformation_still_drops_the_tables_ttl_and_point_in_time_recovery_and_misreads_sse():
    table = Table.create_from_cloudformation_json(
        "irai-patchtest", {"Properties": dict(INFRA["Table"]["Properties"], TableName="irai-patchtest")},
        DEFAULT_ACCOUNT_ID, REGION)
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    try:
        assert backend.describe_time_to_live(table.name)["TimeToLiveStatus"] == "DISABLED"
        pitr = backend.describe_continuous_backups(table.name)["PointInTimeRecoveryDescription"]
        assert pitr["PointInTimeRecoveryStatus"] == "DISABLED"
        assert "SSEDescription" not in table.describe()["TableDescription"]
    finally:
        backend.delete_table(table.name)


def test_cloudformation_still_drops_the_buckets_access_block_ownership_cors_and_lifecycle():
    properties = {k: v for k, v in INFRA["AttachmentsBucket"]["Properties"].items() if k != "BucketName"}
    properties["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] = ["https://irai.example.co.jp"]
    bucket = FakeBucket.create_from_cloudformation_json(
        "irai-patchtest-bucket", {"Properties": properties}, DEFAULT_ACCOUNT_ID, REGION)
    try:
        assert bucket.public_access_block is None
        assert bucket.ownership_rule is None
        assert bucket.cors == []
        assert bucket.rules == []
    finally:
        s3_backends[DEFAULT_ACCOUNT_ID]["aws"].delete_bucket(bucket.name)


def test_cloudformation_still_stores_a_roles_inline_policy_as_python_text():
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    role = Role.create_from_cloudformation_json("irai-patchtest-role", {"Properties": {
        "AssumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "Policies": [{"PolicyName": "p", "PolicyDocument": document}]}}, DEFAULT_ACCOUNT_ID, REGION)
    assert not isinstance(role.policies["p"], str), "moto now keeps the JSON: delete _role_policies_as_json"


def test_cloudformation_still_has_no_ses_types():
    assert set(moto_patches.SES_TYPES) & moto_patches.moto_model_types() == set()


def test_unmodelled_types_are_still_unmodelled():
    """When moto models one of these, the rehearsal should check that resource instead of
    reporting it as not rehearsed."""
    assert set(moto_patches.UNMODELLED_TYPES) & moto_patches.moto_model_types() == set()


def test_the_unmodelled_list_covers_every_type_of_the_infra_template():
    """A type added to infra/template.yaml that moto does not model must be listed (and its check
    reported as not rehearsed), or be modelled by a patch."""
    types = {resource["Type"] for resource in INFRA.values()}
    unknown = types - moto_patches.moto_model_types() - set(moto_patches.SES_TYPES)
    assert unknown == set(moto_patches.UNMODELLED_TYPES)
