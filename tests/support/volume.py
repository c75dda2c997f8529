"""Volume helpers shared by the bounded-cost tests and `make bench`: seed many requests, count calls."""
from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from chalicelib.models.base import Item, Kept
from chalicelib.models.companies import Company
from chalicelib.models.requests import Request
from chalicelib.services import workflow

STATUSES = (workflow.NEW, workflow.IN_PROGRESS, workflow.WAITING, workflow.ON_HOLD, workflow.DONE)


def seed(company: Company, asker, count: int, *, first_number: int = 1) -> list[Request]:
    """``count`` requests written straight to the table (filing them one by one would take minutes).

    Numbered from ``first_number``; the company's counter is left at the last number.
    """
    start = datetime.now(timezone.utc) - timedelta(days=30)
    seeded = []
    with Request.batch_write() as batch:
        for index in range(count):
            at = start + timedelta(minutes=index)
            request = Request.new(
                company_id=company.company_id, company_name=company.name, number=first_number + index,
                title=f"既存の依頼 {index}", body="本文", status=STATUSES[index % len(STATUSES)],
                requester_id=asker.user_id, requester_name=asker.name, created_at=at, last_activity_at=at)
            batch.save(request)
            seeded.append(request)
    Company(*Company.keys(company.company_id)).update(
        actions=[Company.request_counter.set(first_number + count - 1)])
    return seeded


class DynamoDBCalls:
    """Counts the DynamoDB operations this process sends, by name, from any thread."""

    def __init__(self):
        self.operations: Counter = Counter()
        self._events = Item._get_connection().connection.client.meta.events
        self._lock = threading.Lock()  # `+=` on a Counter is a read then a write

    def _count(self, model, **_):
        with self._lock:
            self.operations[model.name] += 1

    def __enter__(self):
        self.operations.clear()
        self._events.register("before-call.dynamodb", self._count)
        return self

    def __exit__(self, *exc):
        self._events.unregister("before-call.dynamodb", self._count)

    @property
    def total(self) -> int:
        return sum(self.operations.values())


def steady_view(view, counter=DynamoDBCalls):
    """(calls, response) of one ``view()`` of a page already viewed once, counted by ``counter``.
    A copy kept per container (models.base.Kept) expires every 60 s, and the view it expires in
    pays one read the page does not cost otherwise: a view during which a kept copy was read anew
    is counted again (a page that rereads a copy on every view counts the same twice)."""
    for _ in range(2):
        started = time.monotonic()
        with counter() as calls:
            response = view()
        if not any(kept.read_at >= started for kept in Kept._all):
            break
    return calls, response
