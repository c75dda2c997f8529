"""`make package` writes chalice's build cache in .chalice/deployments; the packaging test and the
cold-start bench each build, then delete the zips their build added. Under pytest-xdist both can
run at once, so each holds this lock from its build to its clean-up."""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from typing import Iterator

from tests.support.paths import ROOT

LOCK = ROOT / ".chalice" / "deployments.lock"


@contextmanager
def exclusive() -> Iterator[None]:
    """Hold the build-cache lock (blocking) while the block runs; released when the process ends."""
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
