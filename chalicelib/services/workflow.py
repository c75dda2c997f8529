"""The request lifecycle: the transitions each side may make between the statuses. Pure data.

A transition not in the table is refused (deny by default).
"""
from __future__ import annotations

# The statuses, and the order lists show their groups in (open ones first), belong to the model:
# that order is part of the index key it computes.
from chalicelib.messages import STATUS_LABELS
from chalicelib.models.requests import DONE, IN_PROGRESS, NEW, ON_HOLD, STATUS_ORDER, WAITING, WITHDRAWN

__all__ = ["NEW", "IN_PROGRESS", "WAITING", "DONE", "ON_HOLD", "WITHDRAWN", "STATUS_ORDER", "AGENCY", "CLIENT",
           "LABELS", "OPEN", "CLOSED", "TRANSITIONS", "REOPENED_TO", "allowed", "next_statuses", "is_reopening"]

AGENCY, CLIENT = "agency", "client"

LABELS = STATUS_LABELS  # how each status reads, from the catalogue
OPEN = (WAITING, NEW, IN_PROGRESS, ON_HOLD)
CLOSED = (DONE, WITHDRAWN)

TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (NEW, IN_PROGRESS): frozenset({AGENCY}),
    (NEW, WAITING): frozenset({AGENCY}),
    (NEW, ON_HOLD): frozenset({AGENCY}),
    (NEW, DONE): frozenset({AGENCY}),
    (IN_PROGRESS, WAITING): frozenset({AGENCY}),
    (IN_PROGRESS, ON_HOLD): frozenset({AGENCY}),
    (IN_PROGRESS, DONE): frozenset({AGENCY}),
    (WAITING, IN_PROGRESS): frozenset({AGENCY}),
    (WAITING, ON_HOLD): frozenset({AGENCY}),
    # The client confirms the work the agency asked it to check (完了確認).
    (WAITING, DONE): frozenset({AGENCY, CLIENT}),
    (ON_HOLD, IN_PROGRESS): frozenset({AGENCY}),
    # Reopened (再開): 完了 goes back to 対応中 (the work resumes where it stopped; a client may
    # reopen only within the agency's period, see policy); 取り下げ goes back to 新規, since
    # nobody had necessarily taken it and the agency decides anew. Only the agency reopens a
    # 取り下げ request: the client withdrew it on purpose and files again if it changed its mind.
    (DONE, IN_PROGRESS): frozenset({AGENCY, CLIENT}),
    (WITHDRAWN, NEW): frozenset({AGENCY}),
    (NEW, WITHDRAWN): frozenset({CLIENT}),
    (IN_PROGRESS, WITHDRAWN): frozenset({CLIENT}),
    (WAITING, WITHDRAWN): frozenset({CLIENT}),
    (ON_HOLD, WITHDRAWN): frozenset({CLIENT}),
}


# Where 再開 takes a closed request.
REOPENED_TO = {DONE: IN_PROGRESS, WITHDRAWN: NEW}


def is_reopening(old: str, new: str) -> bool:
    """Whether moving from ``old`` to ``new`` brings a closed request back."""
    return old in CLOSED and new in OPEN


def allowed(side: str, old: str, new: str) -> bool:
    return side in TRANSITIONS.get((old, new), frozenset())


def next_statuses(side: str, current: str) -> list[str]:
    """The statuses ``side`` may move a request to from ``current``, in display order."""
    return [new for new in STATUS_ORDER if allowed(side, current, new)]
