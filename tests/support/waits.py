"""How long a test waits for what it expects: bounds, never pacing.

Every wait in the suite is on a condition (Playwright's auto-retrying `expect`, the mailbox page
showing a mail, an HTTP answer, a process ending) and returns as soon as the condition holds, so
these bounds cost nothing when things go well; they only decide how long something that never
happens takes to fail. They are generous on purpose: bounds tuned to an idle machine (5 s for a
dialog, 10 s for a page) failed tests that were merely slow while another suite ran beside them.
"""
from __future__ import annotations

WAIT_S = 60
WAIT_MS = WAIT_S * 1000
# An HTTP call from a test to the local server or the emulated S3 (requests' `timeout=`).
HTTP_TIMEOUT_S = WAIT_S
