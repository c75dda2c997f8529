"""Labelled transaction writes: a refusal is found by the name of the write, not its position.

DynamoDB answers a cancelled TransactWriteItems with one reason per write, in the order PynamoDB
sent them: condition checks, deletes, puts, updates, whatever order the code added them in.
These tests pin that ``Writes`` keeps its labels in that order and that ``TransactionFailed``
reads the reasons through them, so adding a write to a transaction cannot shift another's mapping.
"""
from __future__ import annotations

from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from chalicelib.models.base import TransactionFailed, Writes


class _Recorder:
    """Stands in for PynamoDB's TransactWrite: only what Writes forwards to it."""

    def __init__(self):
        self.calls = []

    def condition_check(self, *args, **kwargs):
        self.calls.append("check")

    def delete(self, *args, **kwargs):
        self.calls.append("delete")

    def save(self, *args, **kwargs):
        self.calls.append("put")

    def update(self, *args, **kwargs):
        self.calls.append("update")


def _cancelled(*codes: str | None) -> TransactWriteError:
    reasons = [CancellationReason(code=code) if code else None for code in codes]
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                               "TransactWriteItems", cancellation_reasons=reasons)
    return TransactWriteError("Failed to write transaction items", cause=cause)


def test_labels_follow_the_order_dynamodb_answers_in():
    writes = Writes(_Recorder())
    writes.update(object(), [], label="request")
    writes.save(object(), label="entry")
    writes.delete(object(), label="old")
    writes.save(object(), label="mark")
    writes.condition_check(object, "pk", condition=object(), label="company")
    writes.update(object(), [], label="balance")
    assert writes.labels == ["company", "old", "entry", "mark", "request", "balance"]


def test_failed_names_the_refused_write():
    labels = ["entry", "mark", "request", "balance"]
    failed = TransactionFailed(_cancelled(None, None, None, "ConditionalCheckFailed"), labels)
    assert failed.failed("balance")
    assert not failed.failed("request") and not failed.failed("mark")
    assert isinstance(failed, TransactWriteError)  # "it failed" is still caught as before


def test_a_conflict_is_not_a_failed_condition():
    failed = TransactionFailed(_cancelled("TransactionConflict", None), ["request", None])
    assert not failed.failed("request")
