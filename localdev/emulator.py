"""The embedded AWS: moto in server mode, in-process, on 127.0.0.1.

The app talks to it over real HTTP through the standard ``AWS_ENDPOINT_URL``, exactly as it
talks to AWS, so nothing in chalicelib/ knows it is local.
"""
from __future__ import annotations

import io
import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

# moto's default account: what AWS::AccountId resolves to in the emulator.
ACCOUNT_ID = "123456789012"
REGION = "ap-northeast-1"


class _OneDynamoDBCallAtATime:
    """WSGI wrapper that lets one DynamoDB call run at a time.

    moto applies TransactWriteItems by snapshotting whole tables and restoring them when a
    condition fails, without a lock: two concurrent transactions (or a transaction and a plain
    write) can then undo each other's work, which DynamoDB never does. Serialising DynamoDB calls
    makes the emulator linearizable like the real service; S3 and SES stay concurrent.
    """

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            if target.partition(".")[2] not in _READS:
                _WRITES.count += 1  # the index groups _queries_read_their_partition keeps are stale now
            return list(self._app(environ, start_response))  # the whole response, inside the lock


# DynamoDB calls that change nothing; every other call (an unknown one too) counts as a write.
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable", "ListTables",
                    "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource", "DescribeEndpoints"})


class _WriteCount:
    """How many DynamoDB calls that may change data the emulator has run (under the call lock)."""
    count = 0


_WRITES = _WriteCount()


def _transactions_undo_items_not_tables() -> None:
    """Make moto's TransactWriteItems cost what it writes, not what the table holds.

    moto snapshots the whole table with ``copy.deepcopy`` once per write of a transaction, to
    restore it if one write is refused: on a table of a few thousand items (a test session's,
    by its end) a seven-write transaction took seconds, calls queued at the emulator past the
    client's read timeout, and botocore sent them again. Since DynamoDB calls run one at a time
    (_OneDynamoDBCallAtATime), keeping a copy of just the items the transaction names, and
    putting those back when it is cancelled, restores exactly the same state.
    """
    import copy as real_copy

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    backend = dynamodb_models.DynamoDBBackend
    if getattr(backend.transact_write_items, "undoes_items", False):
        return
    moto_transact = backend.transact_write_items

    class _TablesByReference:
        """moto's ``copy`` module in its DynamoDB backend, except that a Table "copy" is the table:
        the transaction's rollback of a table to itself changes nothing; the undo log below does it."""

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else real_copy.deepcopy(value, memo)

        def __getattr__(self, name):
            return getattr(real_copy, name)

    dynamodb_models.copy = _TablesByReference()

    def transact_write_items(self, transact_items):
        before = {}  # (table, hash, range) -> a copy of the item, or None where there was none
        streams = {}
        for entry in transact_items:
            for op_type, op in entry.items():
                table = self.tables.get(op.get("TableName"))
                key = op.get("Item") if op_type == "Put" else op.get("Key")
                if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                    continue  # moto refuses it before writing anything
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if key.get(table.range_key_attr) else None
                if table.has_range_key and range_value is None:
                    continue
                slot = (table, hash_value, range_value)
                if slot not in before:
                    before[slot] = real_copy.deepcopy(table.get_item(hash_value, range_value))
                if table.stream_shard is not None:
                    streams.setdefault(table, len(table.stream_shard.items))
        try:
            return moto_transact(self, transact_items)
        except BaseException:
            for (table, hash_value, range_value), item in before.items():
                partition = table.items[hash_value] if range_value is not None else table.items
                position = range_value if range_value is not None else hash_value
                if item is None:
                    partition.pop(position, None)
                else:
                    partition[position] = item
                if range_value is not None and not partition:
                    table.items.pop(hash_value, None)
            for table, length in streams.items():
                del table.stream_shard.items[length:]
            raise

    transact_write_items.undoes_items = True
    backend.transact_write_items = transact_write_items


def _queries_read_their_partition() -> None:
    """Make moto's Query cost what it could match, not what the table holds.

    moto's ``Table.query`` starts from ``all_items()``: every item of the table, sorted by key
    (Python comparisons of DynamoType), and then keeps those whose key matches. So each Query of a
    test session's table (tens of thousands of items by its end: requests, thread entries, search
    postings) cost seconds and every page slowed as the data grew, which a DynamoDB Query never
    does. Here the query is handed only the items that can match: the partition for a table query,
    for an index query the items whose index hash key attributes equal the query's, both taken
    without sorting. The answer is the same: moto checks each of them against the same conditions
    and sorts what it keeps by the table's or the index's whole key. Scans keep moto's order.

    moto keeps no index of its own, so the items are grouped by their index hash values once and
    the groups are kept on the table until the next DynamoDB call that may write
    (_OneDynamoDBCallAtATime counts them): a page's several index queries between two writes walk
    the table once, not once each. Every write reaches moto through that wrapper, so a group is
    never read after a change it does not show.
    """
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "reads_partition", False):
        return
    moto_query, moto_all_items = Table.query, Table.all_items
    handed = threading.local()  # per thread, although DynamoDB calls run one at a time

    def all_items(self):
        table, items = getattr(handed, "items", (None, None))
        return items if table is self else moto_all_items(self)

    def query(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        conditions = kwargs.get("hash_key_conditions") or []
        if not index_name and hash_key is not None:
            partition = self.items.get(hash_key)
            items = [] if partition is None else list(partition.values()) if self.range_key_attr else [partition]
        elif index_name and conditions:
            groups = _index_groups(self, index_name, tuple(name for name, _ in conditions))
            items = groups.get(tuple(value for _, value in conditions), [])
        else:
            return moto_query(self, hash_key, *args, **kwargs)
        handed.items = (self, items)
        try:
            return moto_query(self, hash_key, *args, **kwargs)
        finally:
            handed.items = None

    def _index_groups(table, index_name: str, names: tuple[str, ...]) -> dict:
        """The table's items that hold every attribute of ``names``, by their values, as of the
        last write (see above)."""
        kept = getattr(table, "_irai_index_groups", None)
        if kept is None or kept[0] != _WRITES.count:
            kept = table._irai_index_groups = (_WRITES.count, {})
        groups = kept[1].get((index_name, names))
        if groups is None:
            groups = kept[1][(index_name, names)] = {}
            for partition in table.items.values():
                for item in (partition.values() if table.range_key_attr else [partition]):
                    if all(name in item.attrs for name in names):
                        groups.setdefault(tuple(item.attrs[name] for name in names), []).append(item)
        return groups

    query.reads_partition = True
    query.moto_query = moto_query  # moto's own, for tests/integration/test_emulator_queries.py
    Table.query, Table.all_items = query, all_items


class _IdempotentTransactions:
    """WSGI wrapper giving TransactWriteItems DynamoDB's ClientRequestToken semantics.

    moto ignores the token, so a transaction botocore sends again after a read timeout (the
    first copy having been carried out meanwhile) is applied twice, or refused by its own
    conditions: a false "changed meanwhile" that DynamoDB never reports. As DynamoDB does, a
    token seen within 10 minutes of a successful transaction answers that first answer again
    without writing, and the same token with other parameters is refused with
    IdempotentParameterMismatchException. A cancelled transaction wrote nothing, so its token
    is not kept: sending it again runs it again. Runs inside _OneDynamoDBCallAtATime's lock, so
    looking up a token and carrying the call out are one step.
    """

    TARGET = "DynamoDB_20120810.TransactWriteItems"
    WINDOW_SECONDS = 600

    def __init__(self, app):
        self._app = app
        # token -> (expiry, parameters, status, headers, body), oldest first: expiries only grow
        self._answers: dict[str, tuple[float, str, str, list, bytes]] = {}

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET") != self.TARGET:
            return self._app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            params = json.loads(body)
            token = params.pop("ClientRequestToken", None)
        except (ValueError, AttributeError):
            return self._app(environ, start_response)
        if not token:
            return self._app(environ, start_response)
        while self._answers and next(iter(self._answers.values()))[0] <= time.monotonic():
            del self._answers[next(iter(self._answers))]
        canonical = json.dumps(params, sort_keys=True)
        if token in self._answers:
            _, first_params, status, headers, payload = self._answers[token]
            if first_params != canonical:
                return _dynamodb_error(start_response, "IdempotentParameterMismatchException",
                                       "the client token was used with other parameters")
            start_response(status, headers)
            return [payload]
        answer: list = []

        def keep(status, headers, exc_info=None):
            answer[:] = [status, list(headers)]
            return start_response(status, headers, exc_info)

        payload = b"".join(self._app(environ, keep))
        if answer and answer[0].startswith("200"):
            self._answers[token] = (time.monotonic() + self.WINDOW_SECONDS, canonical, answer[0], answer[1], payload)
        return [payload]


def _dynamodb_error(start_response, code: str, message: str, status: str = "400 Bad Request"):
    """An error in DynamoDB's JSON 1.0 shape (``__type`` names it, as botocore expects)."""
    payload = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
    start_response(status, [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(payload)))])
    return [payload]


class _BucketCors:
    """WSGI wrapper that applies each bucket's CORS rules to S3 calls, as S3 does.

    moto stores the rules but answers every request with "Access-Control-Allow-Origin: *". A
    browser uploading from the site would then pass locally whatever the rules say (and break
    in AWS), so for S3 calls moto's CORS headers are replaced by what the bucket's rules (set
    from infra/template.yaml) allow: nothing for an origin they do not name.
    """

    def __init__(self, app):
        self._app = app

    def __call__(self, environ, start_response):
        bucket = self._bucket(environ)
        if bucket is None:
            return self._app(environ, start_response)
        origin = environ.get("HTTP_ORIGIN")
        rule = self._rule(bucket, environ, origin) if origin else None
        allowed = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] if rule else []
        if environ["REQUEST_METHOD"] == "OPTIONS" and origin:  # the preflight S3 answers itself
            if rule is None:
                start_response("403 Forbidden", [("Content-Length", "0")])
                return [b""]
            allowed += [("Access-Control-Allow-Methods", ", ".join(rule.allowed_methods)),
                        ("Access-Control-Allow-Headers", environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")),
                        ("Access-Control-Max-Age", str(rule.max_age_seconds or 0)), ("Content-Length", "0")]
            start_response("200 OK", allowed)
            return [b""]

        def bucket_cors_only(status, headers, exc_info=None):
            kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
            return start_response(status, kept + allowed, exc_info)

        return self._app(environ, bucket_cors_only)

    @staticmethod
    def _bucket(environ):
        """The moto bucket a path-style S3 call addresses, or None for other services."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        if "HTTP_X_AMZ_TARGET" in environ:
            return None
        name = environ.get("PATH_INFO", "/").lstrip("/").split("/", 1)[0]
        return s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets.get(name) if name else None

    @staticmethod
    def _rule(bucket, environ, origin: str):
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD") or environ["REQUEST_METHOD"]
        for rule in bucket.cors or []:
            if (origin in rule.allowed_origins or "*" in rule.allowed_origins) and method in rule.allowed_methods:
                return rule
        return None


class Faults:
    """Errors to answer instead of the emulator, for tests of retries and failure reports.

    ``fail("ses", "SendRawEmail", "Throttling", times=3)`` answers the next three SendRawEmail
    calls with SES's Throttling error, as AWS would over HTTP (so botocore's retries, the app's
    retries and its reports all run for real); ``times=None`` fails until ``clear()``. DynamoDB
    errors take its JSON error body: ``fail("dynamodb", "TransactWriteItems",
    "ProvisionedThroughputExceededException", times=2)``; S3's object calls are named as in its
    API (``fail("s3", "PutObject", "ServiceUnavailable", status=503)``).

    ``drop(service, action)`` closes the connection without an answer, as a timeout or a network
    failure does; with ``after=True`` the call is carried out first, so the caller cannot know
    that it succeeded (the case where a retry must not store a second copy). ``delay`` answers
    late, after the client's read timeout, and still carries the call out: after the wait, or
    with ``after=True`` at once (a call queued behind others is answered late that way), so the
    client's resend arrives after the first copy was written.
    """

    DROP = "drop"
    DROP_AFTER = "drop-after"
    DELAY = "delay:"
    DELAY_AFTER = "delay-after:"

    def __init__(self):
        self._lock = threading.Lock()
        self._armed: dict[tuple[str, str], list] = {}  # (service, action) -> [code, status, remaining]
        self.hits: dict[tuple[str, str], int] = {}

    def fail(self, service: str, action: str, code: str, *, status: int = 400, times: int | None = None) -> None:
        with self._lock:
            self._armed[(service, action)] = [code, status, times]

    def drop(self, service: str, action: str, *, after: bool = False, times: int | None = None) -> None:
        self.fail(service, action, self.DROP_AFTER if after else self.DROP, status=0, times=times)

    def delay(self, service: str, action: str, seconds: float, *, after: bool = False,
              times: int | None = None) -> None:
        """Answer (and carry out) the call only after ``seconds``, past the client's read timeout;
        with ``after=True`` it is carried out first and only its answer waits."""
        self.fail(service, action, f"{self.DELAY_AFTER if after else self.DELAY}{seconds}", status=0, times=times)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self.hits.clear()

    def take(self, service: str, action: str) -> tuple[str, int] | None:
        with self._lock:
            armed = self._armed.get((service, action))
            if armed is None:
                return None
            code, status, remaining = armed
            if remaining is not None:
                if remaining <= 1:
                    del self._armed[(service, action)]
                else:
                    armed[2] = remaining - 1
            self.hits[(service, action)] = self.hits.get((service, action), 0) + 1
            return code, status


FAULTS = Faults()


class _InjectFaults:
    """WSGI wrapper answering the calls FAULTS names with an AWS error or a dropped connection.

    Errors take the shape of the service's protocol: the query protocol's XML (SES) or the
    JSON 1.0 body DynamoDB answers with (``__type`` names the error), so botocore classifies
    them exactly as it does AWS's (throttling, transient, or final).
    """

    def __init__(self, app):
        self._app = app

    def __call__(self, environ, start_response):
        service = self._service(environ)
        if service is None or not FAULTS._armed:
            return self._app(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:  # JSON protocol (DynamoDB): the action is in the header
            action = target.rsplit(".", 1)[-1]
        elif service == "s3":  # REST: the method says it (object calls only)
            action = self._s3_action(environ)
        else:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        fault = FAULTS.take(service, action)
        if fault is None:
            return self._app(environ, start_response)
        code, status = fault
        if code.startswith(Faults.DELAY_AFTER):
            answer = list(self._app(environ, start_response))  # carried out now, outside the DynamoDB lock
            time.sleep(float(code[len(Faults.DELAY_AFTER):]))  # the client has given up and resent meanwhile
            return answer
        if code.startswith(Faults.DELAY):
            time.sleep(float(code[len(Faults.DELAY):]))  # the client has given up and retried meanwhile
            return self._app(environ, start_response)
        if code in (Faults.DROP, Faults.DROP_AFTER):
            if code == Faults.DROP_AFTER:
                list(self._app(environ, lambda *args, **kwargs: None))  # carried out; the answer is lost
            return self._drop(environ, start_response)
        if target:
            payload = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                                  "message": "injected by the test"}).encode()
            content_type = "application/x-amz-json-1.0"
        elif service == "s3":
            payload = (f"<Error><Code>{code}</Code><Message>injected by the test</Message>"
                       "<RequestId>0000000000000000</RequestId></Error>").encode()
            content_type = "application/xml"
        else:
            payload = (f'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
                       f"<Code>{code}</Code><Message>injected by the test</Message></Error>"
                       "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>").encode()
            content_type = "text/xml"
        start_response(f"{status} Injected", [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
        return [payload]

    @staticmethod
    def _s3_action(environ) -> str:
        method = environ.get("REQUEST_METHOD", "")
        if method == "PUT":
            return "CopyObject" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "PutObject"
        return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, method)

    @staticmethod
    def _drop(environ, start_response):
        """Close the socket under the server: the client sees the connection end with no answer."""
        connection = environ.get("werkzeug.socket")
        if connection is not None:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        start_response("500 Dropped", [("Content-Length", "0")])
        return [b""]

    @staticmethod
    def _service(environ) -> str | None:
        """The signing name in the SigV4 credential scope (".../<region>/<service>/aws4_request")."""
        match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
        return match.group(1) if match else None


class _Server(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = _InjectFaults(_BucketCors(_OneDynamoDBCallAtATime(_IdempotentTransactions(
            DomainDispatcherApplication(create_backend_app)))))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass
class Emulator:
    server: ThreadedMotoServer
    endpoint_url: str

    def stop(self) -> None:
        self.server.stop()


def start(port: int = 0) -> Emulator:
    """Start moto on 127.0.0.1 (port 0 picks a free one) and point this process's AWS clients at it."""
    _transactions_undo_items_not_tables()
    _queries_read_their_partition()
    server = _Server(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{bound_port}"
    use_endpoint(endpoint_url)
    return Emulator(server=server, endpoint_url=endpoint_url)


def use_endpoint(endpoint_url: str) -> None:
    """Set the environment every boto3/botocore client of this process reads."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ["AWS_REGION"] = REGION
    # Fake credentials: the emulator accepts any, and a developer's real ones must never be used.
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
