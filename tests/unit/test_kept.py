"""models.base.Kept: a copy per container that a write in the container forgets at once."""
from __future__ import annotations

from chalicelib.models.base import Kept


class _Thing:
    pass


def test_a_read_that_a_write_overtook_is_not_kept():
    """A read that began before a write (another thread's request, the mail sent after an answer)
    must not keep what it read once the write has forgotten the copy: the next get reads again."""
    reads = []
    kept = Kept("test value", lambda: None, types=(_Thing,), seconds=60.0)

    def read():
        reads.append(len(reads))
        if len(reads) == 1:
            Kept.written(_Thing)  # the write lands while the first read is under way
        return f"value {len(reads)}"

    kept._read = read
    assert kept.get() == "value 1"   # the caller still gets what it read
    assert kept.get() == "value 2"   # ... but it was not kept: read again after the write
    assert kept.get() == "value 2"   # and this one is kept
    assert reads == [0, 1]


def test_a_batch_refresh_keeps_only_what_no_write_overtook():
    kept = Kept("test settings", lambda: "read", types=(_Thing,), seconds=60.0)
    since = kept.generation
    Kept.written(_Thing)
    kept.keep("old", since=since)
    assert kept.stale()
    kept.keep("new", since=kept.generation)
    assert not kept.stale() and kept.get() == "new"
