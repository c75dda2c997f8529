"""Work that may wait until the answer has been sent: local mode's inline mail of a reset link.

A form whose answer must not depend on what it triggers (/password/forgot: an existing ID must
not answer later than an unknown one) hands that work to ``later``. The local server
(localdev/gateway.py) runs it right after it has written the answer; anywhere else (the tests'
in-process client, a Lambda, a script) it runs at once, as before. ``settled`` lets a reader of
its results (the local mailbox) wait until work handed over has finished, so a page or a test
that reads the mailbox after the answer still finds the mail: a condition, not a pause.

In AWS nothing is handed over: mail is sent by the schedule (IRAI_MAIL_DELIVERY=scheduled).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager

log = logging.getLogger(__name__)

_local = threading.local()
_busy = threading.Condition()
_outstanding = 0


def later(work: Callable[[], object]) -> None:
    """Run ``work`` after the answer is sent, if a server said it will; else now."""
    queue = getattr(_local, "queue", None)
    if queue is None:
        work()
        return
    global _outstanding
    with _busy:
        _outstanding += 1
    queue.append(work)


@contextmanager
def after_the_answer():
    """Around a server's handling of one request: work handed to ``later`` inside it waits, and
    ``run`` (called by the server once the answer is written) does it."""
    _local.queue = []
    try:
        yield
    finally:
        queue, _local.queue = _local.queue, None
        _run(queue)


def _run(queue: list[Callable[[], object]]) -> None:
    global _outstanding
    for work in queue:
        try:
            work()
        except Exception:  # noqa: BLE001 - the answer is gone: log it, the sweep does it again
            log.exception("work after the answer failed")
        finally:
            with _busy:
                _outstanding -= 1
                _busy.notify_all()


def settled(timeout: float) -> bool:
    """Wait until no work handed to ``later`` is outstanding (at most ``timeout`` seconds)."""
    with _busy:
        return _busy.wait_for(lambda: _outstanding == 0, timeout=timeout)
