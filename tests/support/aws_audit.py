"""pytest plugin: every AWS operation the app performs in the session must be allowed by
.chalice/policy-<stage>.json (autogen_policy is off, so nothing else would notice a missing grant).

A botocore event hook on every session (boto3's and PynamoDB's) records each operation whose
call stack passes through the app's code (app.py, chalicelib/), with its resource: table or
index, bucket/key, SES identity and configuration set. Presigned URLs and POSTs count as the
operation the browser later performs with the function's credentials. At session end each one is
translated into IAM actions (a transaction is authorised per item action, CopyObject as a read of
the source and a write of the target), the session's resource names are replaced by each stage's,
and the policy is evaluated with IAM's rules. A denied operation fails the run. A full run must
also have seen the operations the app is known to perform, so the check cannot pass vacuously,
and must have needed every action the policies grant (least privilege: nothing unused).
"""
from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from fnmatch import fnmatchcase
from pathlib import Path

import botocore.session
import pytest

from tests.support.paths import ROOT
# The Lambda's code. ops/ commands run with an operator's credentials, not the function's role
# (what they do through chalicelib/ is still checked).
APP_CODE = (str(ROOT / "app.py"), str(ROOT / "chalicelib") + os.sep)
REGION, ACCOUNT = "ap-northeast-1", "123456789012"

# (service, operation, detail) the whole suite must have made; detail "index" = on an index,
# "presigned" = signed for the browser.
REQUIRED = {
    ("dynamodb", "GetItem", ""), ("dynamodb", "PutItem", ""), ("dynamodb", "UpdateItem", ""),
    ("dynamodb", "Query", ""), ("dynamodb", "Query", "index"), ("dynamodb", "TransactWriteItems", ""),
    ("s3", "HeadObject", ""), ("s3", "CopyObject", ""), ("s3", "DeleteObject", ""),
    ("s3", "PutObject", "presigned"), ("s3", "GetObject", "presigned"), ("ses", "SendRawEmail", ""),
}


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    params_json: str  # the API parameters (JSON), so operations stay hashable
    presigned: bool = False
    session: "Names | None" = None  # the app's resource names when the call was made

    @property
    def params(self) -> dict:
        return json.loads(self.params_json)

    @property
    def detail(self) -> str:
        if self.presigned:
            return "presigned"
        return "index" if self.params.get("IndexName") else ""


@dataclass
class Recorder:
    operations: set[Operation] = field(default_factory=set)
    raw_mails: list[bytes] = field(default_factory=list)  # what SendRawEmail carried (for log_audit)
    lock: threading.Lock = field(default_factory=threading.Lock)
    watchers: list[list[Operation]] = field(default_factory=list)  # see app_calls()

    def record(self, event_name: str, params: dict, context: dict | None = None, **_) -> None:
        if not _called_by_app():
            return
        _, service, name = event_name.split(".", 2)
        presigned = bool((context or {}).get("is_presign_request"))
        if presigned and service == "s3" and name == "CreateBucket":
            # generate_presigned_post borrows CreateBucket's model; the browser will PutObject.
            name, params = "PutObject", {**params, "Key": _presigned_post_key()}
        if service == "ses" and name == "SendRawEmail":
            with self.lock:
                self.raw_mails.append(params["RawMessage"]["Data"])
            params = {k: v for k, v in params.items() if k != "RawMessage"}  # the body is not needed
        session = Names.from_settings(os.environ) if "IRAI_TABLE" in os.environ else None
        operation = Operation(service, name, json.dumps(params, sort_keys=True, default=str), presigned, session)
        with self.lock:
            self.operations.add(operation)
            for calls in self.watchers:
                calls.append(operation)


RECORDER = Recorder()


@contextmanager
def app_calls():
    """The AWS operations the app sends while the block runs, in order, from any thread (for tests
    that compare what two requests do)."""
    calls: list[Operation] = []
    with RECORDER.lock:
        RECORDER.watchers.append(calls)
    try:
        yield calls
    finally:
        with RECORDER.lock:
            RECORDER.watchers.remove(calls)


def _called_by_app() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(APP_CODE):
            return True
        frame = frame.f_back
    return False


def _presigned_post_key() -> str:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "generate_presigned_post" and "Key" in frame.f_locals:
            return frame.f_locals["Key"]
        frame = frame.f_back
    raise AssertionError("a presigned POST without a key")


def install() -> None:
    """Register the recorder on every botocore session created from now on."""
    original = botocore.session.Session.__init__
    if getattr(original, "_irai_audit", False):
        return

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.register("before-parameter-build", RECORDER.record, unique_id="irai-aws-audit")

    init._irai_audit = True
    botocore.session.Session.__init__ = init


# --- from operations to IAM requests ------------------------------------------------------------

@dataclass(frozen=True)
class Names:
    """A stage's resource names (from its settings in .chalice/config.json)."""
    table: str
    bucket: str
    mail_from: str
    configuration_set: str

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> "Names":
        return cls(*(settings.get(name, "") for name in
                     ("IRAI_TABLE", "IRAI_BUCKET", "IRAI_MAIL_FROM", "IRAI_MAIL_CONFIGURATION_SET")))


def iam_requests(operation: Operation, stage: Names) -> list[tuple[str, str, dict]]:
    """(action, resource ARN, condition context) that IAM authorises for ``operation``, with the
    session's resource names replaced by the stage's."""
    p, op = operation.params, operation.name
    session = operation.session or Names("", "", "", "")

    def table(name: str, index: str | None = None) -> str:
        name = stage.table if name == session.table else name
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    def obj(bucket: str, key: str) -> str:
        return f"arn:aws:s3:::{stage.bucket if bucket == session.bucket else bucket}/{key}"

    if operation.service == "dynamodb":
        if op in ("TransactWriteItems", "TransactGetItems"):
            actions = {"ConditionCheck": "ConditionCheckItem", "Put": "PutItem", "Update": "UpdateItem",
                       "Delete": "DeleteItem", "Get": "GetItem"}
            return [(f"dynamodb:{actions[kind]}", table(body["TableName"]), {})
                    for item in p["TransactItems"] for kind, body in item.items()]
        if op in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{op}", table(name), {}) for name in p["RequestItems"]]
        return [(f"dynamodb:{op}", table(p["TableName"], p.get("IndexName")), {})]
    if operation.service == "s3":
        if op == "CopyObject":
            source = p["CopySource"]
            if isinstance(source, str):
                bucket, _, key = source.lstrip("/").partition("/")
                source = {"Bucket": bucket, "Key": key}
            return [("s3:GetObject", obj(source["Bucket"], source["Key"]), {}),
                    ("s3:PutObject", obj(p["Bucket"], p["Key"]), {})]
        action = {"HeadObject": "GetObject"}.get(op, op)  # HEAD is authorised as s3:GetObject
        resource = obj(p["Bucket"], p["Key"]) if "Key" in p else obj(p["Bucket"], "").rstrip("/")
        return [(f"s3:{action}", resource, {})]
    if operation.service == "ses" and op in ("SendRawEmail", "SendEmail"):
        source = parseaddr(p["Source"])[1]
        source = stage.mail_from if source == session.mail_from else source
        context = {"ses:FromAddress": source}
        found = [(f"ses:{op}", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{source.partition('@')[2]}", context)]
        if "ConfigurationSetName" in p:
            name = p["ConfigurationSetName"]
            name = stage.configuration_set if name == session.configuration_set else name
            found.append((f"ses:{op}", f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{name}", context))
        return found
    return [(f"{operation.service}:{op}", "*", {})]


# --- IAM evaluation -------------------------------------------------------------------------------

def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, case: bool = True) -> bool:
    """IAM wildcards: * any run, ? one character; nothing else is special."""
    pattern = pattern.replace("[", "[[]")
    return fnmatchcase(value, pattern) if case else fnmatchcase(value.lower(), pattern.lower())


_OPERATORS = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringLike": lambda expected, actual: _glob(expected, actual),
    "StringNotEquals": lambda expected, actual: actual != expected,
    "StringNotLike": lambda expected, actual: not _glob(expected, actual),
    "ArnLike": lambda expected, actual: _glob(expected, actual),
    "ArnEquals": lambda expected, actual: actual == expected,
    "Bool": lambda expected, actual: str(actual).lower() == str(expected).lower(),
}


def _conditions_hold(conditions: dict, context: dict) -> bool:
    for operator, tests in conditions.items():
        if operator not in _OPERATORS:
            raise NotImplementedError(f"condition operator {operator} (teach tests/support/aws_audit.py)")
        for key, expected in tests.items():
            if key not in context:
                return False  # a missing key never satisfies a condition (no ...IfExists here)
            negated = operator.startswith("StringNot")
            results = [_OPERATORS[operator](e, context[key]) for e in _listed(expected)]
            if not (all(results) if negated else any(results)):
                return False
    return True


def _matches(statement: dict, action: str, resource: str, context: dict) -> bool:
    if not any(_glob(a, action, case=False) for a in _listed(statement["Action"])):
        return False
    if not any(_glob(r, resource) for r in _listed(statement["Resource"])):
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


def allowed(policy: dict, action: str, resource: str, context: dict) -> bool:
    """IAM's rule for one identity policy: an explicit Deny wins, else some Allow must match."""
    statements = _listed(policy["Statement"])
    if any(s["Effect"] == "Deny" and _matches(s, action, resource, context) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, action, resource, context) for s in statements)


def stage_settings(stage: str) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return {**config.get("environment_variables", {}), **config["stages"][stage]["environment_variables"]}


def stages() -> list[str]:
    return sorted(json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))["stages"])


def stage_policies() -> dict[str, tuple[dict, Names]]:
    """Each stage's policy document and resource names."""
    return {stage: (json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8")),
                    Names.from_settings(stage_settings(stage))) for stage in stages()}


def denials(operations, policies: dict[str, tuple[dict, Names]] | None = None) -> list[str]:
    """What the stages' policies would refuse, one line each."""
    found = []
    for stage, (policy, names) in (policies or stage_policies()).items():
        for operation in sorted(operations, key=lambda o: (o.service, o.name, o.params_json)):
            for action, resource, context in iam_requests(operation, names):
                if not allowed(policy, action, resource, context):
                    found.append(f"policy-{stage}.json denies {action} on {resource} {context or ''} "
                                 f"(for {operation.service} {operation.name})")
    return sorted(set(found))


# Used by the Lambda service on the function's behalf, not by the app's code.
SERVICE_ACTIONS = ("logs:",)


def unused_grants(operations, policies: dict[str, tuple[dict, Names]] | None = None) -> list[str]:
    """Actions a statement grants that no recorded operation needed: least privilege means the
    policy names only what the app uses."""
    found = []
    for stage, (policy, names) in (policies or stage_policies()).items():
        requests = [r for o in operations for r in iam_requests(o, names)]
        for statement in _listed(policy["Statement"]):
            for action in _listed(statement["Action"]):
                if action.startswith(SERVICE_ACTIONS) or statement["Effect"] != "Allow":
                    continue
                single = {**statement, "Action": action}
                if not any(_matches(single, *request) for request in requests):
                    found.append(f"policy-{stage}.json grants {action} ({statement.get('Sid', '')}) "
                                 "but the app never needed it")
    return found


def missing(operations) -> set[tuple[str, str, str]]:
    return REQUIRED - {(o.service, o.name, o.detail) for o in operations}


# --- pytest hooks ----------------------------------------------------------------------------------

def pytest_configure(config):
    install()


def _full_run(session) -> bool:
    """The whole suite ran: the default test paths, nothing selected away, nothing stopped."""
    config = session.config
    targets = {Path(a).resolve() for a in config.args}
    return (targets == {ROOT / "tests"} and not config.option.keyword and not config.option.markexpr
            and not config.option.deselect and not config.option.collectonly and session.testscollected > 0
            and not session.shouldstop and session.testsfailed == 0)


def problems(session, operations=None) -> list[str]:
    operations = RECORDER.operations if operations is None else operations
    found = denials(operations)
    if _full_run(session):
        found += [f"a full run never performed {service} {name} {detail}".rstrip()
                  for service, name, detail in sorted(missing(operations))]
        found += unused_grants(operations)
    return found


def report(session, found: list[str], summary: str) -> None:
    """End of a session's check: fail the run on a finding; print the summary and each finding."""
    if found:
        session.exitstatus = 1
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"{summary}: {'FAILED' if found else 'ok'}", red=bool(found))
        for line in found:
            reporter.write_line("  " + line, red=True)


# --- with pytest-xdist: each worker records its own share; the controller checks the whole ---------

def is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def _to_wire(operation: Operation) -> list:
    names = operation.session
    return [operation.service, operation.name, operation.params_json, operation.presigned,
            None if names is None else [names.table, names.bucket, names.mail_from, names.configuration_set]]


def _from_wire(row: list) -> Operation:
    service, name, params_json, presigned, names = row
    return Operation(service, name, params_json, presigned, None if names is None else Names(*names))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """A worker has finished: its operations join the controller's, as if recorded here."""
    rows = getattr(node, "workeroutput", {}).get("irai_aws_operations", [])
    with RECORDER.lock:
        RECORDER.operations.update(_from_wire(row) for row in rows)


def pytest_sessionfinish(session, exitstatus):
    if is_worker(session.config):
        session.config.workeroutput["irai_aws_operations"] = [_to_wire(o) for o in RECORDER.operations]
        return
    kinds = sorted({" ".join(filter(None, (o.service, o.name, o.detail))) for o in RECORDER.operations})
    report(session, problems(session),
           f"AWS operations by the app ({len(kinds)} kinds: {', '.join(kinds)}); IAM policy check")
