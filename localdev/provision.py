"""Create the per-stage infrastructure in the emulator from infra/template.yaml.

The template is the only definition of the table, the attachments bucket and the SES rules:
this module parses it, resolves its intrinsic functions for the given parameters and converts
CloudFormation property shapes to the matching API calls. Nothing here restates a key schema, a
CORS rule or a receipt rule, so local mode and the deployed stacks cannot drift. A template
property or resource type this module does not know how to mirror is an error, not a silent skip.

Usage (with localdev.emulator.start() already pointing AWS_ENDPOINT_URL at moto)::

    resources = provision(default_local_params("http://127.0.0.1:8000"))
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import boto3
import yaml
from botocore.exceptions import ClientError

from localdev.emulator import ACCOUNT_ID, REGION

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"

PARTITION = "aws"


# --------------------------------------------------------------------------- template loading


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that also understands CloudFormation's short-form tags (!Ref, !Sub, ...)."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    """Turn ``!Name value`` into the long form CloudFormation defines for it."""
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        # The short form is "Resource.Attribute"; the long form is a two-item list.
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation YAML template; short-form tags come back in their long form."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - _CfnLoader is a SafeLoader


# --------------------------------------------------------------------------- intrinsic functions

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def pseudo_parameters() -> dict[str, str]:
    """The AWS::* pseudo parameters as they resolve in the emulator."""
    return {
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": REGION,
        "AWS::Partition": PARTITION,
        "AWS::URLSuffix": "amazonaws.com",
    }


def resolve(value: Any, names: Mapping[str, str]) -> Any:
    """Return ``value`` with every Ref, Fn::Sub and Fn::GetAtt replaced by a string.

    ``names`` maps what those functions can name: parameters, pseudo parameters, resources'
    logical ids (to their physical names) and ``"Logical.Attribute"`` for Fn::GetAtt and
    ``${Logical.Attribute}``. An unknown name raises KeyError; any other intrinsic function
    raises NotImplementedError, so the template cannot use something resolved differently here.
    """
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return names[arg]
        if key == "Fn::GetAtt":
            return names[".".join(arg)]
        if key == "Fn::Sub":
            return _substitute(arg, names)
        if key.startswith("Fn::"):
            raise NotImplementedError(f"localdev.provision cannot resolve {key}")
    return {key: resolve(item, names) for key, item in value.items()}


def _substitute(arg: str | list[Any], names: Mapping[str, str]) -> str:
    """Fn::Sub in both forms: "string" and ["string", {variable: value}]."""
    if isinstance(arg, list):
        template, variables = arg
        names = {**names, **{k: resolve(v, names) for k, v in variables.items()}}
    else:
        template = arg

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):  # ${!Literal} is the escape for a literal ${Literal}
            return "${" + name[1:] + "}"
        return names[name.strip()]

    return _SUB_VARIABLE.sub(replace, template)


# --------------------------------------------------------------------------- parameters and names


def default_local_params(site_url: str) -> dict[str, str]:
    """Template parameters for local mode, with the site served at ``site_url``."""
    return {
        "Stage": "local",
        "SiteUrl": site_url,
        "MailDomain": "example.com",
        "NoReplyAddress": "no-reply@example.com",
    }


def _checked_params(template: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, str]:
    """Apply the template's defaults and constraints, as CloudFormation would before deploying."""
    checked: dict[str, str] = {}
    for name, spec in template.get("Parameters", {}).items():
        if name in params:
            value = str(params[name])
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise ValueError(f"template parameter {name} is required")
        allowed = spec.get("AllowedValues")
        if allowed is not None and value not in [str(a) for a in allowed]:
            raise ValueError(f"{name}={value!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ValueError(f"{name}={value!r} does not match {pattern}")
        checked[name] = value
    unknown = set(params) - set(checked)
    if unknown:
        raise ValueError(f"not template parameters: {sorted(unknown)}")
    return checked


# The property holding each resource type's physical name.
_PHYSICAL_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SES::EmailIdentity": "EmailIdentity",
    "AWS::SES::ReceiptRuleSet": "RuleSetName",
    "AWS::SES::ConfigurationSet": "Name",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Logs::LogGroup": "LogGroupName",
}
_ARN_FORMAT = {
    "AWS::DynamoDB::Table": "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
    "AWS::S3::Bucket": "arn:{partition}:s3:::{name}",
    "AWS::SNS::Topic": "arn:{partition}:sns:{region}:{account}:{name}",
}
# What Ref returns where it is not the physical name (as CloudFormation documents per type).
_REF_RETURNS_ARN = {"AWS::SNS::Topic"}
# The attributes Fn::GetAtt may ask for: "name" or "arn" of the resource.
_ATTRIBUTES = {
    "AWS::DynamoDB::Table": {"Arn": "arn"},
    "AWS::S3::Bucket": {"Arn": "arn"},
    "AWS::SNS::Topic": {"TopicArn": "arn", "TopicName": "name"},
}


def _names(template: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, str]:
    """Everything Ref/Sub/GetAtt may name. Resources must carry explicit physical names
    (CloudFormation would otherwise generate them), built from parameters only."""
    names = {**pseudo_parameters(), **params}
    base = dict(names)
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        prop = _PHYSICAL_NAME_PROPERTY.get(kind)
        if prop is None:
            continue
        values = {"name": resolve(resource["Properties"][prop], base)}
        if kind in _ARN_FORMAT:
            values["arn"] = _ARN_FORMAT[kind].format(
                partition=PARTITION, region=REGION, account=ACCOUNT_ID, name=values["name"]
            )
        names[logical_id] = values["arn" if kind in _REF_RETURNS_ARN else "name"]
        for attribute, value in _ATTRIBUTES.get(kind, {}).items():
            names[f"{logical_id}.{attribute}"] = values[value]
    return names


def resolve_template(template: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    """The template's Resources with every Properties value resolved for ``params``.

    ``params`` are checked (and defaulted) as CloudFormation would; see provision().
    """
    names = _names(template, _checked_params(template, params))
    return {
        logical_id: {**resource, "Properties": resolve(resource.get("Properties", {}), names)}
        for logical_id, resource in template["Resources"].items()
    }


def _require_only(kind: str, props: Mapping[str, Any], handled: set[str]) -> None:
    """Fail when the template uses a property this module does not mirror yet."""
    unknown = set(props) - handled
    if unknown:
        raise NotImplementedError(
            f"localdev.provision does not mirror {kind} properties {sorted(unknown)}; teach it"
        )


# --------------------------------------------------------------------------- DynamoDB


def _create_table_request(props: Mapping[str, Any]) -> dict[str, Any]:
    """CreateTable arguments for an AWS::DynamoDB::Table's resolved Properties."""
    _require_only(
        "AWS::DynamoDB::Table",
        props,
        {
            "TableName", "BillingMode", "AttributeDefinitions", "KeySchema",
            "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput",
            "TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification",
        },
    )
    request: dict[str, Any] = {
        key: props[key]
        for key in (
            "TableName", "AttributeDefinitions", "KeySchema", "BillingMode",
            "ProvisionedThroughput", "LocalSecondaryIndexes",
        )
        if key in props
    }
    if "GlobalSecondaryIndexes" in props:
        # Same shape in CFN and the API (IndexName, KeySchema, Projection[, ProvisionedThroughput]).
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "SSESpecification" in props:
        sse = props["SSESpecification"]
        request["SSESpecification"] = {
            "Enabled": bool(sse["SSEEnabled"]),
            **{k: sse[k] for k in ("SSEType", "KMSMasterKeyId") if k in sse},
        }
    return request


def _provision_table(props: Mapping[str, Any]) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    name = props["TableName"]
    try:
        dynamodb.describe_table(TableName=name)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        dynamodb.create_table(**_create_table_request(props))
    dynamodb.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )

    ttl = props.get("TimeToLiveSpecification")
    if ttl is not None:
        wanted = {"AttributeName": ttl["AttributeName"], "Enabled": bool(ttl["Enabled"])}
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        is_current = (
            current.get("AttributeName") == wanted["AttributeName"]
            and (current.get("TimeToLiveStatus") == "ENABLED") == wanted["Enabled"]
        )
        # DynamoDB rejects an UpdateTimeToLive that changes nothing, so only send a change.
        if not is_current:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=wanted)

    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr is not None:
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": bool(pitr["PointInTimeRecoveryEnabled"])
            },
        )


# --------------------------------------------------------------------------- S3

# CFN CorsRule property -> S3 API CORSRule member.
_CORS_KEYS = {
    "Id": "ID",
    "AllowedOrigins": "AllowedOrigins",
    "AllowedMethods": "AllowedMethods",
    "AllowedHeaders": "AllowedHeaders",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
}


def cors_rules_to_api(cfn_rules: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """S3 API CORSRules equivalent to a bucket's CorsConfiguration.CorsRules."""
    api_rules = []
    for rule in cfn_rules:
        _require_only("AWS::S3::Bucket CorsRule", rule, set(_CORS_KEYS))
        api_rules.append({_CORS_KEYS[key]: value for key, value in rule.items()})
    return api_rules


def lifecycle_rules_to_api(cfn_rules: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """S3 API lifecycle Rules equivalent to a bucket's LifecycleConfiguration.Rules."""
    api_rules = []
    for rule in cfn_rules:
        _require_only(
            "AWS::S3::Bucket lifecycle Rule",
            rule,
            {"Id", "Status", "Prefix", "ExpirationInDays", "AbortIncompleteMultipartUpload"},
        )
        api_rule: dict[str, Any] = {
            "Status": rule["Status"],
            # CFN's rule-level Prefix is the API's Filter; no prefix means the whole bucket.
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "Id" in rule:
            api_rule["ID"] = rule["Id"]
        if "ExpirationInDays" in rule:
            api_rule["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if "AbortIncompleteMultipartUpload" in rule:
            days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            api_rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
        api_rules.append(api_rule)
    return api_rules


def encryption_rules_to_api(cfn_rules: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """S3 API encryption Rules for BucketEncryption.ServerSideEncryptionConfiguration."""
    api_rules = []
    for rule in cfn_rules:
        _require_only(
            "AWS::S3::Bucket ServerSideEncryptionRule",
            rule,
            {"ServerSideEncryptionByDefault", "BucketKeyEnabled"},
        )
        api_rule: dict[str, Any] = {}
        if "ServerSideEncryptionByDefault" in rule:
            # Same content (SSEAlgorithm[, KMSMasterKeyID]); the API prefixes the name with "Apply".
            api_rule["ApplyServerSideEncryptionByDefault"] = dict(
                rule["ServerSideEncryptionByDefault"]
            )
        if "BucketKeyEnabled" in rule:
            api_rule["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
        api_rules.append(api_rule)
    return api_rules


def _provision_bucket(props: Mapping[str, Any]) -> None:
    _require_only(
        "AWS::S3::Bucket",
        props,
        {
            "BucketName", "PublicAccessBlockConfiguration", "BucketEncryption",
            "OwnershipControls", "CorsConfiguration", "LifecycleConfiguration",
        },
    )
    s3 = boto3.client("s3", region_name=REGION)
    name = props["BucketName"]
    try:
        s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise

    # Every Put below replaces the whole configuration, so re-running applies template changes.
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                key: bool(value) for key, value in props["PublicAccessBlockConfiguration"].items()
            },
        )
    if "BucketEncryption" in props:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": encryption_rules_to_api(
                    props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                )
            },
        )
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(
            Bucket=name, OwnershipControls={"Rules": props["OwnershipControls"]["Rules"]}
        )
    if "CorsConfiguration" in props:
        s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={
                "CORSRules": cors_rules_to_api(props["CorsConfiguration"]["CorsRules"])
            },
        )
    if "LifecycleConfiguration" in props:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": lifecycle_rules_to_api(props["LifecycleConfiguration"]["Rules"])
            },
        )


def _provision_bucket_policy(props: Mapping[str, Any]) -> None:
    """Not applied in the emulator, on purpose.

    The template's policy denies any request without TLS (aws:SecureTransport false). moto does
    evaluate bucket policies on object reads, and the emulator only speaks plain HTTP, so the
    policy would deny every download. tests/integration/test_infra.py checks that the template
    still declares it for AWS.
    """
    _require_only("AWS::S3::BucketPolicy", props, {"Bucket", "PolicyDocument"})


# --------------------------------------------------------------------------- SES


def _provision_email_identity(props: Mapping[str, Any]) -> None:
    _require_only("AWS::SES::EmailIdentity", props, {"EmailIdentity"})
    ses = boto3.client("ses", region_name=REGION)
    identity = props["EmailIdentity"]
    # moto marks identities verified at once; no DNS records or confirmation mail involved.
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)


def _provision_rule_set(props: Mapping[str, Any]) -> None:
    _require_only("AWS::SES::ReceiptRuleSet", props, {"RuleSetName"})
    ses = boto3.client("ses", region_name=REGION)
    try:
        ses.create_receipt_rule_set(RuleSetName=props["RuleSetName"])
    except ClientError as e:
        if e.response["Error"]["Code"] != "AlreadyExists":
            raise
    # CloudFormation cannot activate a rule set (the deploy instructions do it by hand); local
    # mode has no such step, so activate it here.
    ses.set_active_receipt_rule_set(RuleSetName=props["RuleSetName"])


def receipt_rule_to_api(cfn_rule: Mapping[str, Any]) -> dict[str, Any]:
    """SES API ReceiptRule for an AWS::SES::ReceiptRule's resolved ``Rule`` property.

    The shapes match except Actions: CFN's action objects may carry several action kinds,
    the API's carry exactly one, so each kind becomes its own entry in template order.
    """
    _require_only(
        "AWS::SES::ReceiptRule Rule",
        cfn_rule,
        {"Name", "Enabled", "ScanEnabled", "TlsPolicy", "Recipients", "Actions"},
    )
    rule = {key: value for key, value in cfn_rule.items() if key != "Actions"}
    for flag in ("Enabled", "ScanEnabled"):
        if flag in rule:
            rule[flag] = bool(rule[flag])
    rule["Actions"] = [
        {kind: dict(config)} for action in cfn_rule.get("Actions", []) for kind, config in action.items()
    ]
    return rule


def _provision_receipt_rule(props: Mapping[str, Any]) -> None:
    _require_only("AWS::SES::ReceiptRule", props, {"RuleSetName", "Rule", "After"})
    ses = boto3.client("ses", region_name=REGION)
    rule_set = props["RuleSetName"]
    rule = receipt_rule_to_api(props["Rule"])
    existing = ses.describe_receipt_rule_set(RuleSetName=rule_set).get("Rules", [])
    if any(r["Name"] == rule["Name"] for r in existing):
        ses.update_receipt_rule(RuleSetName=rule_set, Rule=rule)
    else:
        extra = {"After": props["After"]} if "After" in props else {}
        ses.create_receipt_rule(RuleSetName=rule_set, Rule=rule, **extra)


def _provision_configuration_set(props: Mapping[str, Any]) -> None:
    _require_only("AWS::SES::ConfigurationSet", props, {"Name"})
    ses = boto3.client("ses", region_name=REGION)
    try:
        ses.create_configuration_set(ConfigurationSet={"Name": props["Name"]})
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConfigurationSetAlreadyExists":
            raise


# CFN EventDestination property -> SES API EventDestination member (same content otherwise).
_EVENT_DESTINATION_KEYS = {
    "Name": "Name",
    "Enabled": "Enabled",
    "MatchingEventTypes": "MatchingEventTypes",
    "SnsDestination": "SNSDestination",
}


def event_destination_to_api(cfn_destination: Mapping[str, Any]) -> dict[str, Any]:
    """SES API EventDestination for a ConfigurationSetEventDestination's ``EventDestination``."""
    _require_only(
        "AWS::SES::ConfigurationSetEventDestination EventDestination",
        cfn_destination,
        set(_EVENT_DESTINATION_KEYS),
    )
    destination = {_EVENT_DESTINATION_KEYS[key]: value for key, value in cfn_destination.items()}
    if "Enabled" in destination:
        destination["Enabled"] = bool(destination["Enabled"])
    if "SNSDestination" in destination:
        _require_only(
            "AWS::SES::ConfigurationSetEventDestination SnsDestination",
            destination["SNSDestination"],
            {"TopicARN"},
        )
        destination["SNSDestination"] = dict(destination["SNSDestination"])
    return destination


def _provision_event_destination(props: Mapping[str, Any]) -> None:
    _require_only(
        "AWS::SES::ConfigurationSetEventDestination",
        props,
        {"ConfigurationSetName", "EventDestination"},
    )
    ses = boto3.client("ses", region_name=REGION)
    config_set = props["ConfigurationSetName"]
    destination = event_destination_to_api(props["EventDestination"])
    existing = ses.describe_configuration_set(
        ConfigurationSetName=config_set, ConfigurationSetAttributeNames=["eventDestinations"]
    ).get("EventDestinations", [])
    current = next((d for d in existing if d and d.get("Name") == destination["Name"]), None)
    if current is None:
        ses.create_configuration_set_event_destination(
            ConfigurationSetName=config_set, EventDestination=destination
        )
    elif current != destination:
        # moto lacks UpdateConfigurationSetEventDestination, so a changed destination fails
        # here loudly; the emulator starts empty on every run, so only a second provision()
        # in one process with a different template could get here.
        ses.update_configuration_set_event_destination(
            ConfigurationSetName=config_set, EventDestination=destination
        )


# --------------------------------------------------------------------------- SNS


def _provision_topic(props: Mapping[str, Any]) -> None:
    """Not encrypted (see the template); a KmsMasterKeyId would be an unknown property here."""
    _require_only("AWS::SNS::Topic", props, {"TopicName"})
    # CreateTopic returns the existing topic for a name it already has.
    boto3.client("sns", region_name=REGION).create_topic(Name=props["TopicName"])


def _provision_topic_policy(props: Mapping[str, Any]) -> None:
    """Applied as the topics' Policy attribute; moto stores it but does not enforce it."""
    _require_only("AWS::SNS::TopicPolicy", props, {"Topics", "PolicyDocument"})
    sns = boto3.client("sns", region_name=REGION)
    for topic_arn in props["Topics"]:
        sns.set_topic_attributes(
            TopicArn=topic_arn,
            AttributeName="Policy",
            AttributeValue=json.dumps(props["PolicyDocument"]),
        )


# --------------------------------------------------------------------------- entry point

# Creation order: a type's handler may rely on the types before it (rules need their rule set,
# the policy its bucket, an event destination its configuration set and topic).
_HANDLERS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "AWS::DynamoDB::Table": _provision_table,
    "AWS::S3::Bucket": _provision_bucket,
    "AWS::S3::BucketPolicy": _provision_bucket_policy,
    "AWS::SNS::Topic": _provision_topic,
    "AWS::SNS::TopicPolicy": _provision_topic_policy,
    "AWS::SES::EmailIdentity": _provision_email_identity,
    "AWS::SES::ReceiptRuleSet": _provision_rule_set,
    "AWS::SES::ReceiptRule": _provision_receipt_rule,
    "AWS::SES::ConfigurationSet": _provision_configuration_set,
    "AWS::SES::ConfigurationSetEventDestination": _provision_event_destination,
}
# Types with nothing to emulate locally, each with the reason.
_NOT_EMULATED: dict[str, str] = {
    "AWS::CloudWatch::Alarm": "no metrics locally",
    "AWS::Logs::LogGroup": "the local server logs to the terminal",
    "AWS::Logs::MetricFilter": "the local server logs to the terminal",
    "AWS::SNS::Subscription": "nobody receives alarm mail locally",
}


@dataclass
class Resources:
    """Names of what provision() created, for the app's configuration."""

    table: str
    bucket: str
    no_reply: str
    rule_set: str
    mail_domain: str
    configuration_set: str
    feedback_topic: str  # the SNS topic's name, as the app's setting takes it


def provision(params: Mapping[str, str], template_path: Path | str = TEMPLATE_PATH) -> Resources:
    """Create the template's resources for ``params`` in the endpoint AWS_ENDPOINT_URL names.

    ``params`` are the template's parameters (Stage, SiteUrl, MailDomain, NoReplyAddress),
    checked against its AllowedValues/AllowedPattern. Idempotent: existing resources are kept
    and their configuration is re-applied. The receipt rule set is made active. Raises
    NotImplementedError when the template uses a resource type or property not mirrored here.
    """
    template = load_template(template_path)
    checked = _checked_params(template, params)
    names = _names(template, checked)
    resources = resolve_template(template, checked)

    unknown = {r["Type"] for r in resources.values()} - set(_HANDLERS) - set(_NOT_EMULATED)
    if unknown:
        raise NotImplementedError(f"localdev.provision cannot create {sorted(unknown)}; teach it")
    rule_sets = [r for r in resources.values() if r["Type"] == "AWS::SES::ReceiptRuleSet"]
    if len(rule_sets) > 1:
        # SES has one active rule set per region; which one to activate would be a guess.
        raise NotImplementedError("the template declares more than one receipt rule set")

    for kind, handler in _HANDLERS.items():
        for resource in resources.values():
            if resource["Type"] == kind:
                handler(resource["Properties"])

    # Not a template resource: in SES the verified domain covers its addresses. The emulator
    # also gets the sender as an identity of its own, so code that looks an address up
    # (ListIdentities, GetIdentityVerificationAttributes) finds it locally.
    boto3.client("ses", region_name=REGION).verify_email_identity(
        EmailAddress=checked["NoReplyAddress"]
    )

    outputs = {key: resolve(out["Value"], names) for key, out in template["Outputs"].items()}
    return Resources(
        table=outputs["TableName"],
        bucket=outputs["AttachmentsBucketName"],
        no_reply=outputs["NoReplyAddress"],
        rule_set=outputs["ReceiptRuleSetName"],
        mail_domain=checked["MailDomain"],
        configuration_set=outputs["ConfigurationSetName"],
        feedback_topic=outputs["MailFeedbackTopicName"],
    )
