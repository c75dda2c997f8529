"""The alarms and log groups of infra/template.yaml, checked against the app they watch.

The emulator keeps no metrics, so the resolved template is asserted instead: every Lambda
function the app declares has a log group with a retention and is in the errors and throttles
alarms, the table and each of its indexes are in the throttles alarm, SES's reputation is
watched, and every alarm reaches the alarm topic.
"""
from __future__ import annotations

import json
import logging

import pytest

from chalicelib.web.logs import JsonFormatter
from localdev.provision import default_local_params, load_template, resolve_template

STAGE = "local"


@pytest.fixture(scope="module")
def resources():
    return resolve_template(load_template(), default_local_params("http://127.0.0.1:8000"))


@pytest.fixture(scope="module")
def functions(app) -> set[str]:
    """The Lambda functions `chalice deploy` makes, named as Chalice names them."""
    names = {f"{app.app_name}-{STAGE}"}  # the API handler
    names |= {f"{app.app_name}-{STAGE}-{source.name}" for source in app.event_sources}
    names |= {f"{app.app_name}-{STAGE}-{function.name}" for function in app.pure_lambda_functions}
    assert names == {"irai-local", "irai-local-deliver_mail", "irai-local-mail_feedback"}
    return names


def of_type(resources, kind: str) -> dict:
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == kind}


def alarm(resources, name: str) -> dict:
    return resources[name]["Properties"]


def dimensions(props: dict, metric: str) -> list[dict]:
    return [{d["Name"]: d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"]}
            for m in props["Metrics"] if "MetricStat" in m and m["MetricStat"]["Metric"]["MetricName"] == metric]


def test_each_function_has_a_log_group_with_a_retention(resources, functions):
    groups = of_type(resources, "AWS::Logs::LogGroup").values()
    assert {g["LogGroupName"] for g in groups} == {f"/aws/lambda/{f}" for f in functions}
    assert {g["RetentionInDays"] for g in groups} == {"90"}


@pytest.mark.parametrize("name, metric", [("LambdaErrorsAlarm", "Errors"), ("LambdaThrottlesAlarm", "Throttles")])
def test_lambda_errors_and_throttles_of_every_function_are_summed_into_one_alarm(resources, functions, name, metric):
    props = alarm(resources, name)
    assert {d["FunctionName"] for d in dimensions(props, metric)} == functions
    (total,) = [m for m in props["Metrics"] if m.get("ReturnData")]
    assert total["Expression"] == "SUM(METRICS())"
    assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_dynamodb_throttles_of_the_table_and_every_index_alarm(resources):
    table = resources["Table"]["Properties"]
    props = alarm(resources, "DynamoDBThrottlesAlarm")
    expected = [{"TableName": table["TableName"]}] + [
        {"TableName": table["TableName"], "GlobalSecondaryIndexName": index["IndexName"]}
        for index in table["GlobalSecondaryIndexes"]]
    for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
        assert sorted(dimensions(props, metric), key=json.dumps) == sorted(expected, key=json.dumps), metric


@pytest.mark.parametrize("name, metric, threshold", [
    ("MailBounceRateAlarm", "Reputation.BounceRate", 0.05),
    ("MailComplaintRateAlarm", "Reputation.ComplaintRate", 0.001),
])
def test_ses_reputation_alarms_fire_at_the_review_levels(resources, name, metric, threshold):
    props = alarm(resources, name)
    assert (props["Namespace"], props["MetricName"], props["Threshold"]) == ("AWS/SES", metric, threshold)
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_every_alarm_and_its_recovery_reach_the_alarm_topic(resources):
    topic_arn = "arn:aws:sns:ap-northeast-1:123456789012:irai-local-alarms"
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 7
    for name, props in alarms.items():
        assert props["AlarmActions"] == [topic_arn] and props["OKActions"] == [topic_arn], name
        assert props["TreatMissingData"] == "notBreaching", name
        assert props["AlarmName"].startswith("irai-local-"), name
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["TopicArn"] == topic_arn


def test_app_error_lines_are_counted_from_the_json_level_field(resources, functions):
    filters = [props for name, props in of_type(resources, "AWS::Logs::MetricFilter").items()
               if name != "AuditEntriesLost"]
    assert {f["LogGroupName"] for f in filters} == {f"/aws/lambda/{f}" for f in functions}
    for props in filters:
        assert props["FilterPattern"] == '{ $.level = "ERROR" || $.level = "CRITICAL" }'
        (transform,) = props["MetricTransformations"]
        assert (transform["MetricNamespace"], transform["MetricName"]) == ("Irai/local", "ErrorLines")
    assert alarm(resources, "AppErrorsAlarm")["MetricName"] == "ErrorLines"
    # The field the filter reads is the one the app writes.
    record = logging.LogRecord("chalicelib.x", logging.ERROR, __file__, 1, "boom", None, None)
    assert json.loads(JsonFormatter().format(record))["level"] == "ERROR"


def test_a_lost_audit_entry_is_counted_from_its_log_line_and_alarms(resources):
    """A write of the audit log that failed leaves the action done and logs one line: the filter
    matches that line's message as the app writes it, and any one of them is an alarm."""
    props = of_type(resources, "AWS::Logs::MetricFilter")["AuditEntriesLost"]
    assert props["LogGroupName"] == "/aws/lambda/irai-local"
    assert props["FilterPattern"] == '{ $.message = "audit entry lost" }'
    (transform,) = props["MetricTransformations"]
    assert (transform["MetricNamespace"], transform["MetricName"]) == ("Irai/local", "AuditEntriesLost")
    lost = alarm(resources, "AuditEntriesLostAlarm")
    assert (lost["MetricName"], lost["Threshold"], lost["ComparisonOperator"]) == (
        "AuditEntriesLost", 1, "GreaterThanOrEqualToThreshold")
    record = logging.LogRecord("chalicelib.services.audit", logging.ERROR, __file__, 1, "audit entry lost", None, None)
    assert json.loads(JsonFormatter().format(record))["message"] == "audit entry lost"
