"""`make run`: the whole of Irai on this machine at http://127.0.0.1:8000 (PORT overrides).

Starts the embedded AWS emulator, creates the resources from infra/template.yaml, restores the
data of earlier runs, creates the first agency admin, and serves the app and the local mailbox.
Ctrl-C saves the data and stops everything.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

from localdev import emulator, provision, stack, state

# IRAI_LOCAL_STATE lets tests keep their data away from the developer's.
STATE_DIR = Path(os.environ.get("IRAI_LOCAL_STATE", stack.ROOT / ".local" / "state"))
AUTOSAVE_SECONDS = 5
SWEEP_SECONDS = 15

log = logging.getLogger("irai.local")


class _Autosaver:
    """Writes the data to disk a few seconds after a change, so a crash loses little."""

    def __init__(self, save):
        self._save = save
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="irai-autosave", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def mark(self) -> None:
        self._dirty.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._dirty.wait()
            if self._stopping.wait(AUTOSAVE_SECONDS):  # gather a burst of changes into one save
                break
            self._dirty.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            try:
                self._save()
            except Exception:  # noqa: BLE001 - a failed autosave must not kill the server
                log.exception("could not save local data to %s", STATE_DIR)

    def stop(self) -> None:
        self._stopping.set()
        self._dirty.set()
        self._thread.join(timeout=10)
        self.flush()


class _OutboxSweeper:
    """Runs the mail sender every few seconds, as the one-minute schedule does in AWS: mail that
    failed when sent in-process is retried here after its backoff."""

    def __init__(self, sweep, interval: float = SWEEP_SECONDS):
        self._sweep = sweep
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="irai-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._sweep()
            except Exception:  # noqa: BLE001 - a failed sweep must not kill the server; the next one retries
                log.exception("the mail outbox sweep failed")

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's per-call access log
    port = int(os.environ.get("PORT", "8000"))
    site_url = f"http://127.0.0.1:{port}"

    aws = emulator.start(port=0)
    resources = provision.provision(provision.default_local_params(site_url))
    stack.configure_environment(site_url, resources)
    restored = state.load(STATE_DIR, table=resources.table, bucket=resources.bucket)

    from app import app  # after the environment is set: the app reads it
    from chalicelib.services import accounts, auth, notifications

    admin_id = os.environ.get("ADMIN_USER_ID", "admin01")
    created = accounts.ensure_agency_admin(admin_id, os.environ.get("ADMIN_EMAIL", "admin@example.com"))

    saver = _Autosaver(lambda: state.save(STATE_DIR, table=resources.table, bucket=resources.bucket))
    try:
        server = stack.serve(app, port=port, on_change=saver.mark)
    except OSError as error:
        aws.stop()
        print(f"ポート {port} を使えません({error.strerror})。PORT=8001 make run のように別のポートを指定してください。",
              file=sys.stderr)
        return 1
    saver.start()
    saver.mark()  # the admin just created must survive even an immediate crash
    # What the every-minute schedule does in AWS (chalicelib/jobs/mail.py): the outbox, reset links.
    sweeper = _OutboxSweeper(lambda: (notifications.deliver_due(), auth.deliver_reset_mails()))
    sweeper.start()

    print()
    if restored:
        print(f"  Restored {restored} items from the previous run ({STATE_DIR}; make reset starts over).")
    if created:
        print("  Agency admin created:")
        print(f"    ユーザーID:   {created.user.user_id}")
        print(f"    仮パスワード: {created.temporary_password}")
        print("    (the login guidance mail is in the local mailbox)")
    else:
        print(f"  Agency admin {admin_id} exists already.")
    print(f"  Local mailbox:     {server.url}/dev/mail")
    print(f"  Embedded AWS:      {aws.endpoint_url}")
    print(f"  Irai is running at {server.url}  (Ctrl-C to stop)", flush=True)

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    print("\nStopping: saving data...", flush=True)
    server.stop()
    sweeper.stop()
    saver.stop()
    aws.stop()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
