"""Structured logs: one JSON object per line with the request ids, and nothing secret in them.

Threat: a password, token or mail body in CloudWatch Logs, readable by everyone with log access
and kept for months; and log lines that cannot be tied to the request that wrote them.
"""
from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib.web.logs import JsonFormatter
from tests.support import log_audit


@pytest.fixture
def lines():
    """What the app's loggers write while the test runs, as parsed JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("chalicelib"), logging.getLogger("irai")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def test_each_request_logs_one_json_line_with_its_ids_and_route_template(client, lines):
    response = client.http.get("/password/reset/Secret-Token-That-Must-Not-Appear-123")
    (entry,) = [e for e in lines() if e["message"] == "request"]
    assert entry["level"] == "INFO" and entry["logger"] == "chalicelib.access"
    assert entry["method"] == "GET" and entry["status"] == response.status_code
    assert entry["route"] == "/password/reset/{token}"  # the template: paths can carry tokens
    assert entry["request_id"]  # chalice's local gateway has no API Gateway id; see the next test
    assert isinstance(entry["duration_ms"], float)
    assert "Secret-Token" not in json.dumps(lines())


def test_behind_api_gateway_a_line_carries_both_request_ids(app, lines):
    """The event and context a deployed function receives (API Gateway REST proxy)."""
    from chalice.local import LambdaContext

    event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {"Host": "irai.example.com"},
             "multiValueHeaders": {"Host": ["irai.example.com"]}, "queryStringParameters": None,
             "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
             "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "path": "/api/health", "stage": "api",
                                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "identity": {"sourceIp": "203.0.113.9"}},
             "body": None, "isBase64Encoded": False}
    context = LambdaContext("irai-prod", 1024)
    assert app(event, context)["statusCode"] == 200
    (entry,) = [e for e in lines() if e["message"] == "request"]
    assert entry["api_request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert entry["request_id"] == context.aws_request_id


def test_lines_of_one_request_share_its_id_and_the_next_request_gets_another(client, lines):
    client.http.get("/health")
    client.http.get("/health")
    first, second = [e["request_id"] for e in lines() if e["message"] == "request"]
    assert first != second


def test_an_event_function_logs_with_the_lambda_request_id(client, lines):
    event = client.events.generate_sns_event(message="not json", subject="x")
    client.lambda_.invoke("mail_feedback", event)
    (entry,) = [e for e in lines() if e["message"] == "SES feedback is not JSON"]
    assert entry["level"] == "ERROR" and entry["request_id"] and "api_request_id" not in entry
    assert entry["subject"] == "x"  # `extra` fields become fields


def test_formatter_writes_one_line_with_extra_fields_and_the_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("chalicelib.test").makeRecord(
            "chalicelib.test", logging.ERROR, __file__, 1, "failed %s", ("here",), exc_info=True,
            extra={"notification": "N#1", "attempts": 3})
        import sys
        record.exc_info = sys.exc_info()
    text = JsonFormatter().format(record)
    assert "\n" not in text
    entry = json.loads(text)
    assert entry["message"] == "failed here" and entry["notification"] == "N#1" and entry["attempts"] == 3
    assert "ValueError: boom" in entry["exception"]
    assert "msg" not in entry and "args" not in entry


MAIL = """From: no-reply@example.com
To: a@example.com
Subject: x
Content-Type: text/plain; charset=utf-8

ユーザーID: user1
仮パスワード: Xk7mPq2RtV9wab
ログインURL: http://127.0.0.1:8000/password/reset/AbCdEfGh12345678_-xyz
このメールは送信専用のアドレスから送っています。
""".encode()


@pytest.mark.parametrize("logged, problem", [
    ("login ok user1", None),
    ("temp Xk7mPq2RtV9wab", "temporary password or reset token"),
    ("link AbCdEfGh12345678_-xyz", "temporary password or reset token"),
    ("このメールは送信専用のアドレスから送っています。", "mail body"),
    ("pw correct-horse-battery-staple", "password"),
    ("session " + "Ab1" + "x" * 40, "token-shaped"),
    ("ulid 01JABCDEFGHJKMNPQRSTVWXYZ0 hash " + "ab12" * 16 + " id 3f2b1c9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", None),
])
def test_the_log_check_finds_secrets_and_only_secrets(logged, problem):
    found = log_audit.findings(logged, {"correct-horse-battery-staple"}, [MAIL])
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found
