"""Logging: one JSON object per line, carrying the Lambda and API Gateway request ids.

CloudWatch Logs Insights reads JSON lines field by field (`filter level = "ERROR"`, `stats count()
by route`), and the request ids tie a line to Lambda's REPORT line and to API Gateway's access
log. Lines are built from the message and the record's `extra` fields only: never log passwords,
tokens, cookies or mail bodies (tests/support/log_audit.py checks a whole test run for them).
The access line names the route template (`/password/reset/{token}`), never the path, because
paths can carry tokens.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from datetime import datetime, timezone

from chalice import Chalice

from chalicelib.adapters import config

_ids: ContextVar[dict[str, str]] = ContextVar("irai_log_ids", default={})
access_log = logging.getLogger("chalicelib.access")

# Everything a LogRecord carries by itself; whatever else is on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_ids.get(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _request_ids(event) -> dict[str, str]:
    if hasattr(event, "lambda_context"):  # an HTTP request: .context is API Gateway's requestContext
        lambda_context, api_context = event.lambda_context, event.context or {}
    else:  # a schedule or SNS event: .context is the Lambda context
        lambda_context, api_context = event.context, {}
    ids = {}
    if getattr(lambda_context, "aws_request_id", None):
        ids["request_id"] = lambda_context.aws_request_id
    if api_context.get("requestId"):
        ids["api_request_id"] = api_context["requestId"]
    return ids


def bind_request_ids(event, get_response):
    """Every line logged while handling ``event`` carries its request ids; HTTP requests also get
    one access line (method, route, status, duration)."""
    token = _ids.set(_request_ids(event))
    started = time.perf_counter()
    try:
        response = get_response(event)
        if hasattr(event, "lambda_context"):
            access_log.info("request", extra={
                "method": event.method, "route": event.context.get("resourcePath", ""),
                "status": response.status_code, "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            })
        return response
    finally:
        _ids.reset(token)


def configure(app: Chalice) -> None:
    """JSON lines on stdout for the app's loggers, at the configured level.

    Chalice's own plain-text handler on app.log is replaced; handlers that others attach (a test's
    capture) are kept. The loggers do not propagate, so the Lambda runtime's root handler does
    not print each line a second time in its own format.
    """
    level = getattr(logging, config.log_level(), logging.INFO)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    for logger in (app.log, logging.getLogger("chalicelib")):
        for old in [h for h in logger.handlers if type(h) is logging.StreamHandler]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    app.register_middleware(bind_request_ids, "all")
