"""Work-arounds for moto defects the deployment rehearsal (localdev/rehearsal.py) runs into.

Each patch is small, says which moto behaviour it corrects, and has a test in
tests/unit/test_moto_patches.py that runs moto *without* it and fails once moto behaves like AWS
there, so the patch can then be deleted. ``apply()`` installs them all in this process; the
rehearsal calls it before it starts the emulator's server in the same process, so every call the
deploy commands make over HTTP meets the patched moto.

Resource types moto's CloudFormation accepts without modelling (it warns, marks them
CREATE_COMPLETE and creates nothing) and that no patch here models are listed in
``UNMODELLED_TYPES``: the rehearsal reports the checks of those resources as not rehearsed.
"""
from __future__ import annotations

from typing import Any

# moto 5.2 accepts these in a template, creates nothing and says CREATE_COMPLETE (found by
# creating infra/template.yaml in it: "Tried to parse ... but it's not supported"). Kept in step
# with moto by tests/unit/test_moto_patches.py::test_unmodelled_types_are_still_unmodelled.
UNMODELLED_TYPES = (
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::Logs::MetricFilter",
    "AWS::CloudWatch::Alarm",
)

# The SES resource types below are modelled by this module (moto's CloudFormation has none).
SES_TYPES = (
    "AWS::SES::EmailIdentity",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::SES::ReceiptRuleSet",
    "AWS::SES::ReceiptRule",
)

# What each patch replaced, so that its test can call moto's own behaviour.
ORIGINALS: dict[str, Any] = {}


# --------------------------------------------------------------------------- API Gateway

def _import_rest_api_without_description() -> None:
    """moto's ``import_rest_api`` reads ``api_doc["info"]["description"]`` unconditionally, so
    ImportRestApi of a document without one (Chalice's generated swagger has only a title)
    fails with a KeyError (HTTP 500), where API Gateway imports it with no description."""
    from moto.apigateway.models import APIGatewayBackend

    if "import_rest_api" in ORIGINALS:
        return
    moto_import = ORIGINALS["import_rest_api"] = APIGatewayBackend.import_rest_api

    def import_rest_api(self, api_doc: dict[str, Any], fail_on_warnings: bool):
        info = api_doc.get("info", {})
        if "description" not in info:
            api_doc = {**api_doc, "info": {**info, "description": ""}}
        return moto_import(self, api_doc, fail_on_warnings)

    APIGatewayBackend.import_rest_api = import_rest_api


def _put_rest_api_accepts_swagger_2() -> None:
    """moto's ``put_rest_api`` (under ImportRestApi and PutRestApi) refuses every Swagger 2.0
    document ("Only OpenAPI 3.x.x are currently supported"); API Gateway imports both, and
    Chalice sends Swagger 2.0. The parts moto reads (paths, methods, responses, integrations)
    have the same shape in both, so the document is handed on as OpenAPI 3."""
    from moto.apigateway.models import APIGatewayBackend

    if "put_rest_api" in ORIGINALS:
        return
    moto_put = ORIGINALS["put_rest_api"] = APIGatewayBackend.put_rest_api

    def put_rest_api(self, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool, mode: str = "merge"):
        if str(api_doc.get("swagger", "")).startswith("2."):
            api_doc = {**{k: v for k, v in api_doc.items() if k != "swagger"}, "openapi": "3.0.1"}
            fail_on_warnings = False  # moto would validate it against OpenAPI 3's schema
        return moto_put(self, function_id, api_doc, fail_on_warnings, mode)

    APIGatewayBackend.put_rest_api = put_rest_api


# --------------------------------------------------------------------------- ignored properties

# Properties of infra/template.yaml that moto's CloudFormation drops when it creates the resource.
IGNORED_TABLE_PROPERTIES = ("TimeToLiveSpecification", "PointInTimeRecoverySpecification")
IGNORED_BUCKET_PROPERTIES = ("PublicAccessBlockConfiguration", "OwnershipControls", "CorsConfiguration",
                             "LifecycleConfiguration")


def _table_and_bucket_properties() -> None:
    """moto's CloudFormation creates an AWS::DynamoDB::Table without its TimeToLiveSpecification
    and PointInTimeRecoverySpecification, and hands SSESpecification on unchanged, so that
    ``SSEEnabled`` (CloudFormation's name) is not read (moto's table reads the API's ``Enabled``);
    it creates an AWS::S3::Bucket with only its encryption and tags (no public access block,
    ownership controls, CORS or lifecycle). After moto's own creation, these apply the dropped
    properties through moto's backends, in the shapes its HTTP handlers give them."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table
    from moto.s3.models import FakeBucket, s3_backends

    if "table_properties" in ORIGINALS:
        return
    moto_table = ORIGINALS["table_properties"] = Table.create_from_cloudformation_json.__func__
    moto_bucket = ORIGINALS["bucket_properties"] = FakeBucket.create_from_cloudformation_json.__func__

    def create_table(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        sse = properties.get("SSESpecification")
        if sse and "SSEEnabled" in sse:
            properties = {**properties, "SSESpecification": {"Enabled": sse["SSEEnabled"],
                                                             **{k: v for k, v in sse.items() if k != "SSEEnabled"}}}
        table = moto_table(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id,
                           region_name, **kwargs)
        backend = dynamodb_backends[account_id][region_name]
        if "TimeToLiveSpecification" in properties:
            backend.update_time_to_live(table.name, properties["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in properties:
            backend.update_continuous_backups(table.name, properties["PointInTimeRecoverySpecification"])
        return table

    def create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        bucket = moto_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][region_name] if region_name in s3_backends[account_id] else \
            s3_backends[account_id]["global"]
        text = {True: "true", False: "false"}
        if "PublicAccessBlockConfiguration" in properties:
            backend.put_public_access_block(bucket.name, {
                k: text.get(v, v) for k, v in properties["PublicAccessBlockConfiguration"].items()})
        for rule in properties.get("OwnershipControls", {}).get("Rules", []):
            backend.put_bucket_ownership_controls(bucket.name, rule["ObjectOwnership"])
        if "CorsConfiguration" in properties:
            backend.put_bucket_cors(bucket.name, [
                {"AllowedOrigin": rule["AllowedOrigins"], "AllowedMethod": rule["AllowedMethods"],
                 "AllowedHeader": rule.get("AllowedHeaders", []), "MaxAgeSeconds": str(rule.get("MaxAge", 0)),
                 **({"ID": rule["Id"]} if "Id" in rule else {})}
                for rule in properties["CorsConfiguration"]["CorsRules"]])
        if "LifecycleConfiguration" in properties:
            rules = []
            for rule in properties["LifecycleConfiguration"]["Rules"]:
                api = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
                if "ExpirationInDays" in rule:
                    api["Expiration"] = {"Days": str(rule["ExpirationInDays"])}
                if "AbortIncompleteMultipartUpload" in rule:
                    api["AbortIncompleteMultipartUpload"] = {
                        "DaysAfterInitiation": str(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
                rules.append(api)
            backend.put_bucket_lifecycle_configuration(bucket.name, rules)
        return bucket

    Table.create_from_cloudformation_json = classmethod(create_table)
    FakeBucket.create_from_cloudformation_json = classmethod(create_bucket)


def _role_policies_as_json() -> None:
    """moto's CloudFormation hands an AWS::IAM::Role's inline ``Policies[].PolicyDocument`` (a
    mapping in the template) to the role as it is, and GetRolePolicy then answers Python's
    ``str()`` of it instead of the JSON document IAM answers. The document is passed on as JSON,
    as PutRolePolicy passes it."""
    import json

    from moto.iam.models import Role

    if "role_policies" in ORIGINALS:
        return
    moto_role = ORIGINALS["role_policies"] = Role.create_from_cloudformation_json.__func__

    def create_role(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = dict(cloudformation_json["Properties"])
        properties["Policies"] = [
            {**policy, "PolicyDocument": policy["PolicyDocument"] if isinstance(policy["PolicyDocument"], str)
             else json.dumps(policy["PolicyDocument"])} for policy in properties.get("Policies", [])]
        return moto_role(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id,
                         region_name, **kwargs)

    Role.create_from_cloudformation_json = classmethod(create_role)


# --------------------------------------------------------------------------- SES in CloudFormation

def _ses_cloudformation_models() -> None:
    """moto's CloudFormation has no SES resource types: a stack "creates" the identity, the
    configuration set, its event destination, the receipt rule set and its rule without making
    any of them, and a Ref to one resolves to nothing (so infra/template.yaml's
    ConfigurationSetName and ReceiptRuleSetName outputs are missing, and ops.stage_settings
    refuses the stack). These models create them in moto's SES backend, as CloudFormation does
    in SES; Ref gives the name, as in AWS."""
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel
    from moto.ses.models import ses_backends

    if "ses_models" in ORIGINALS:
        return
    ORIGINALS["ses_models"] = True

    class _SesResource:
        """One SES resource made by a stack; ``name`` is what Ref returns. (A mixin: moto finds
        models through CloudFormationModel.__subclasses__(), its direct subclasses only.)"""

        TYPE = ""

        def __init__(self, name: str):
            self.name = name

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @classmethod
        def cloudformation_type(cls) -> str:  # moto calls it on the class
            return cls.TYPE

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            backend = ses_backends[account_id][region_name]
            return cls(cls.create(backend, cloudformation_json["Properties"]))

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                            account_id, region_name):
            backend = ses_backends[account_id][region_name]
            cls.remove(backend, original_resource.name, cloudformation_json["Properties"])
            return cls(cls.create(backend, cloudformation_json["Properties"]))

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
            backend = ses_backends[account_id][region_name]
            cls.remove(backend, resource_name, cloudformation_json["Properties"])

        def delete(self, account_id: str, region_name: str) -> None:
            # moto's delete_stack calls this on each resource it made; the template's
            # properties are not at hand here, only the name.
            self.remove(ses_backends[account_id][region_name], self.name, None)

    class EmailIdentity(_SesResource, CloudFormationModel):
        TYPE = "AWS::SES::EmailIdentity"

        @staticmethod
        def create(backend, properties):
            backend.create_email_identity_v2(properties["EmailIdentity"], None, None, None)
            return properties["EmailIdentity"]

        @staticmethod
        def remove(backend, name, properties):
            backend.email_identities.pop(name, None)

    class ConfigurationSet(_SesResource, CloudFormationModel):
        TYPE = "AWS::SES::ConfigurationSet"

        @staticmethod
        def create(backend, properties):
            backend.create_configuration_set(properties["Name"])
            return properties["Name"]

        @staticmethod
        def remove(backend, name, properties):
            backend.config_sets.pop(name, None)
            backend.config_set_event_destination.pop(name, None)

    class ConfigurationSetEventDestination(_SesResource, CloudFormationModel):
        TYPE = "AWS::SES::ConfigurationSetEventDestination"

        @staticmethod
        def create(backend, properties):
            destination = dict(properties["EventDestination"])
            backend.create_configuration_set_event_destination(properties["ConfigurationSetName"], destination)
            return f"{properties['ConfigurationSetName']}|{destination['Name']}"

        @staticmethod
        def remove(backend, name, properties):
            set_name, _, destination = name.partition("|")
            backend.config_set_event_destination.pop(set_name, None)
            backend.event_destinations.pop(destination, None)

    class ReceiptRuleSet(_SesResource, CloudFormationModel):
        TYPE = "AWS::SES::ReceiptRuleSet"

        @staticmethod
        def create(backend, properties):
            backend.create_receipt_rule_set(properties["RuleSetName"])
            return properties["RuleSetName"]

        @staticmethod
        def remove(backend, name, properties):
            backend.receipt_rule_set.pop(name, None)

    class ReceiptRule(_SesResource, CloudFormationModel):
        TYPE = "AWS::SES::ReceiptRule"

        @staticmethod
        def create(backend, properties):
            backend.create_receipt_rule(properties["RuleSetName"], properties["Rule"], properties.get("After"))
            return f"{properties['RuleSetName']}|{properties['Rule']['Name']}"

        @staticmethod
        def remove(backend, name, properties):
            set_name, _, rule_name = name.partition("|")
            rule_set = backend.receipt_rule_set.get(set_name)
            if rule_set is not None:
                rule_set.rules = [rule for rule in rule_set.rules if rule["Name"] != rule_name]

    # moto caches its type -> model map on first use; the new subclasses must be in it.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def moto_model_types() -> set[str]:
    """The resource types moto's CloudFormation models by itself (without this module's)."""
    from moto.cloudformation import parsing

    return {model.cloudformation_type() for model in parsing.get_model_list() if model.__module__ != __name__}


def apply() -> None:
    """Install every patch (idempotent)."""
    _import_rest_api_without_description()
    _put_rest_api_accepts_swagger_2()
    _table_and_bucket_properties()
    _role_policies_as_json()
    _ses_cloudformation_models()
