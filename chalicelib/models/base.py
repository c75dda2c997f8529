"""The single table every Irai item lives in.

One table, keys `PK`/`SK` and the indexes `GSI1` and `GSI2`, as defined in infra/template.yaml. Each item
carries a `type` discriminator so a query over one partition returns typed models. Keys are
computed by the models themselves; callers never build key strings.
"""
from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters import config
from chalicelib.errors import ServiceUnavailable


class _FromConfig:
    """A Meta setting read from configuration when PynamoDB first asks for it, not at import time."""

    def __init__(self, read):
        self._read = read

    def __get__(self, instance, owner):
        return self._read()


class GSI1(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class GSI2(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class Item(Model):
    """Base of every item in the table; subclasses set their discriminator value."""

    class Meta:
        table_name = _FromConfig(config.table_name)
        # botocore reads AWS_ENDPOINT_URL and the region from the environment, so the same code
        # talks to AWS or to the local emulator. Retries use botocore's standard mode.
        max_retry_attempts = 5
        # PynamoDB waits 15 s to connect and 30 s for an answer by default: one stuck call would
        # outlast the Lambda (30 s) and API Gateway (29 s) before any retry. DynamoDB answers in
        # milliseconds, so a few seconds each leaves room for the retries and the 503 page
        # (IRAI_DYNAMODB_READ_TIMEOUT_SECONDS: 3 in AWS; longer on the emulator, see localdev/stack.py).
        connect_timeout_seconds = 2
        read_timeout_seconds = _FromConfig(config.dynamodb_read_timeout_seconds)

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    kind = DiscriminatorAttribute(attr_name="type")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")

    gsi1 = GSI1()
    gsi2 = GSI2()

    @staticmethod
    def keys(*parts: str) -> tuple[str, str]:
        raise NotImplementedError("each item type computes its own keys")

    # Every write through a model, or in a transaction (``Writes``), tells the copies this
    # container keeps of that type (``Kept``) to forget themselves: the writer's next read is fresh.
    def save(self, *args, **kwargs):
        try:
            return super().save(*args, **kwargs)
        finally:
            Kept.written(type(self))

    def update(self, *args, **kwargs):
        try:
            return super().update(*args, **kwargs)
        finally:
            Kept.written(type(self))

    def delete(self, *args, **kwargs):
        try:
            return super().delete(*args, **kwargs)
        finally:
            Kept.written(type(self))

    @classmethod
    def _get_connection(cls):
        """One connection, so one botocore client and one pool of HTTP connections, for every item
        type. PynamoDB keeps a connection per model class, created on the class's first call: a
        dozen botocore clients per process (each tens of milliseconds to build on a cold start,
        each with its own TLS connections), and a call counter registered on one client missed the
        calls of the others. Every type lives in the same table with the same keys and indexes."""
        if cls is Item:
            return super()._get_connection()
        return Item._get_connection()

    @classmethod
    def find(cls, *parts: str):
        """The item whose keys ``cls.keys(*parts)`` computes, or None (strongly consistent read)."""
        try:
            return cls.get(*cls.keys(*parts), consistent_read=True)
        except cls.DoesNotExist:
            return None


class Kept:
    """A value read rarely changed data makes, kept per warm container (a Lambda instance, the
    local server) for at most ``seconds``: the staleness bound of a change made in another
    container. This container forgets it as soon as it writes an item of one of ``types`` (see
    ``Item.save``, ``Writes``), so whoever changes the data sees the change on their next page.

    ``get()`` reads through ``read`` when the copy is missing or old; ``stale()`` and ``keep()`` let
    a caller refresh it inside a batch read it makes anyway (services.auth.resume).
    """

    _all: list["Kept"] = []
    _lock = threading.Lock()

    def __init__(self, name: str, read, *, types: tuple, seconds: float):
        self.name, self._read, self.types, self.seconds = name, read, types, seconds
        self._value = (None, float("-inf"))  # (value, monotonic time it was read): replaced at once
        # Bumped by forget(): a read that began before a write must not keep what it read after it
        # (the local server and the mail sent after an answer read on other threads).
        self.generation = 0
        Kept._all.append(self)

    @property
    def read_at(self) -> float:
        """``time.monotonic()`` of the read the kept value came from (-inf: nothing kept)."""
        return self._value[1]

    def stale(self) -> bool:
        value, read_at = self._value
        return value is None or time.monotonic() - read_at >= self.seconds

    def keep(self, value, *, since: int | None = None):
        """Keep ``value``, read since generation ``since`` (now when None): not if a write came between."""
        if since is None or since == self.generation:
            self._value = (value, time.monotonic())
        return value

    def get(self):
        value, _ = self._value
        if value is not None and not self.stale():
            return value
        since = self.generation
        return self.keep(self._read(), since=since)

    def forget(self) -> None:
        self.generation += 1
        self._value = (None, float("-inf"))

    @classmethod
    def written(cls, model_cls: type) -> None:
        for kept in cls._all:
            if issubclass(model_cls, kept.types):
                kept.forget()

    @classmethod
    def forget_all(cls) -> None:
        for kept in cls._all:
            kept.forget()


BATCH_GET_LIMIT = 100  # keys DynamoDB takes in one BatchGetItem


def batch_read(wanted: list[tuple[type, tuple[str, str]]], *, consistent_read: bool = True) -> list:
    """Items of several types in one BatchGetItem (one per BATCH_GET_LIMIT keys): ``wanted`` pairs
    a class with the keys of the item asked of it; the answer holds the items found, each an
    instance of the class its key was asked for. By key, not by the stored ``type``: an item first
    written by an update (a balance, a counter) has none, and ``Item.batch_get`` would return it
    as a bare Item."""
    classes = {keys: cls for cls, keys in wanted}
    pending = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in classes]
    found = []
    connection = Item._get_connection()
    while pending:
        page, pending = pending[:BATCH_GET_LIMIT], pending[BATCH_GET_LIMIT:]
        while page:
            data = connection.batch_get_item(page, consistent_read=consistent_read)
            for raw in data.get("Responses", {}).get(Item.Meta.table_name, []):
                found.append(classes[(raw["PK"]["S"], raw["SK"]["S"])].from_raw_data(raw))
            page = data.get("UnprocessedKeys", {}).get(Item.Meta.table_name, {}).get("Keys") or []
    return found


def partition_read(pk: str, classify) -> list:
    """Every item of partition ``pk`` (one query per MB), each an instance of ``classify(sort_key)``
    (None: left out). By key, for the reason batch_read gives."""
    found, start = [], None
    connection = Item._get_connection()
    while True:
        data = connection.query(pk, consistent_read=True, exclusive_start_key=start)
        for raw in data.get("Items", []):
            cls = classify(raw["SK"]["S"])
            if cls is not None:
                found.append(cls.from_raw_data(raw))
        start = data.get("LastEvaluatedKey")
        if not start:
            return found


GSI1_PK = "GSI1PK"


def one_page(results) -> tuple[list, dict | None]:
    """The items of ONE DynamoDB call of a query (a PynamoDB ResultIterator not yet read) and the
    key to go on from. PynamoDB's iterator fetches page after page while a filter leaves them empty,
    so reading a filtered query item by item would cost calls without bound."""
    try:
        page = next(results.page_iter)
    except StopIteration:
        return [], None
    return [results._map_fn(raw) for raw in page.get("Items", [])], results.page_iter.last_evaluated_key


def encode_cursor(last_evaluated_key: dict | None) -> str | None:
    """An opaque, URL-safe "next page" token from DynamoDB's LastEvaluatedKey."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, key_name: str, partition: str, *, sort_prefix: str = "") -> dict | None:
    """The ExclusiveStartKey for ``cursor``, or None when it is absent, malformed, or belongs to
    another partition (a tampered cursor starts from the beginning instead of failing).

    ``key_name`` is the partition key of the query (``PK``, or an index's ``GSI1PK``). A start key
    must hold exactly the table's keys and the index's (``PK``, ``SK``, ``GSI1PK``, ``GSI1SK``), each
    a non-empty string, and the sort key must lie in the query's range (``sort_prefix``): DynamoDB
    refuses any other start key with a ValidationException, which would be a 500.
    """
    if not cursor or len(cursor) > 1024:
        return None
    sort_name = "SK" if key_name == "PK" else key_name.removesuffix("PK") + "SK"
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = (isinstance(key, dict) and set(key) == {"PK", "SK", key_name, sort_name}
                 and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and v["S"]
                         for v in key.values())
                 and key[key_name]["S"] == partition and key[sort_name]["S"].startswith(sort_prefix))
    except (ValueError, TypeError):
        return None
    return key if valid else None


def transaction() -> TransactWrite:
    """A write transaction on the table's own connection (one botocore client per process).

    Its ClientRequestToken makes it idempotent: when an answer is lost or late, botocore sends
    the same call (the same token) again, and DynamoDB answers the first result instead of
    writing twice or refusing the second copy by the first one's conditions (a false Conflict).
    botocore would fill in a token itself; it is named here so the promise does not rest on that.
    """
    return TransactWrite(connection=Item._get_connection().connection, client_request_token=str(uuid.uuid4()))


class Writes:
    """The writes of one transaction, each with an optional label naming it for the caller.

    PynamoDB sends a transaction's writes grouped, whatever order they were added in: condition
    checks, then deletes, then puts (``save``), then updates; DynamoDB's cancellation reasons come
    in that order. The builder keeps the labels in the same order, so ``TransactionFailed.failed``
    finds a write by its name and adding a write never shifts another's.
    """

    _ORDER = ("check", "delete", "put", "update")

    def __init__(self, write: TransactWrite):
        self._write = write
        self._labels: dict[str, list[str | None]] = {group: [] for group in self._ORDER}
        self.types: set[type] = set()  # of the items written, for the copies kept of them (Kept)

    def condition_check(self, model_cls, hash_key, range_key=None, *, condition, label: str | None = None) -> None:
        self._write.condition_check(model_cls, hash_key, range_key, condition=condition)
        self._labels["check"].append(label)

    def delete(self, item, *, condition=None, label: str | None = None) -> None:
        self._write.delete(item, condition=condition)
        self._labels["delete"].append(label)
        self.types.add(type(item))

    def save(self, item, *, condition=None, label: str | None = None) -> None:
        self._write.save(item, condition=condition)
        self._labels["put"].append(label)
        self.types.add(type(item))

    def update(self, item, actions: list, *, condition=None, label: str | None = None) -> None:
        self._write.update(item, actions=actions, condition=condition)
        self._labels["update"].append(label)
        self.types.add(type(item))

    @property
    def labels(self) -> list[str | None]:
        """The labels in the order DynamoDB answers for the writes."""
        return [label for group in self._ORDER for label in self._labels[group]]


class TransactionFailed(TransactWriteError):
    """A transaction DynamoDB refused, knowing which write is which (see ``Writes``).

    Still a TransactWriteError, so a caller that only needs "it failed" catches that.
    """

    def __init__(self, error: TransactWriteError, labels: list[str | None]):
        super().__init__(str(error.msg) if error.msg else None, cause=error.cause)
        self.labels = labels

    def failed(self, label: str) -> bool:
        """True if a write labelled ``label`` was refused by its condition."""
        reasons = self.cancellation_reasons or []
        return any(name == label and index < len(reasons) and reasons[index] is not None
                   and reasons[index].code == "ConditionalCheckFailed"
                   for index, name in enumerate(self.labels))


def is_condition_failure(error) -> bool:
    """True if a single write (PutError, UpdateError, DeleteError) was refused by its condition."""
    return error.cause_response_code == "ConditionalCheckFailedException"


def transact(build, *, attempts: int = 6) -> None:
    """Run the writes ``build(writes)`` adds to a ``Writes`` as one transaction, retrying
    transaction conflicts.

    DynamoDB cancels a transaction that touches an item another transaction is writing at the
    same moment (reason ``TransactionConflict``); botocore does not retry that, but the writes
    are still valid, so they are tried again after a short random wait, as a new transaction
    (a new token: the cancelled one wrote nothing). Failed conditions are not retried: they
    raise TransactionFailed for the caller to map by label.
    """
    for attempt in range(attempts):
        writes = None
        try:
            with transaction() as write:
                writes = Writes(write)
                build(writes)
            return
        except TransactWriteError as error:
            reasons = [reason.code if reason else None for reason in (error.cancellation_reasons or [])]
            if unavailable(error, reasons):
                raise ServiceUnavailable("DynamoDB did not take the transaction") from error
            conflict = "TransactionConflict" in reasons or error.cause_response_code == "TransactionConflictException"
            if not conflict or "ConditionalCheckFailed" in reasons or attempt == attempts - 1:
                raise TransactionFailed(error, writes.labels) from error
            time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
        finally:
            for model_cls in (writes.types if writes is not None else ()):
                Kept.written(model_cls)


# Errors that say nothing about the data, only that DynamoDB could not answer now; botocore has
# already retried them (throttling with backoff), so what is left is reported to the user.
_UNAVAILABLE = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
                "InternalServerError", "ServiceUnavailable", "ThrottlingError", "ProvisionedThroughputExceeded"}


def unavailable(error, reasons: list | None = None) -> bool:
    """True if a PynamoDB error means "try again later" (throttled, down, or no answer at all)."""
    code = error.cause_response_code
    if code is None and error.cause is not None and not hasattr(error.cause, "response"):
        return True  # no answer: a timeout or a dropped connection (botocore's own exception)
    return code in _UNAVAILABLE or any(reason in _UNAVAILABLE for reason in (reasons or []))
