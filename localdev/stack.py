"""The whole app on one machine: emulator, resources from infra/, the Chalice app on HTTP.

Used by `make run` (localdev.server) and by the tests that go over real HTTP, so both run the
same thing.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer

from chalicelib import cold_start
from localdev import provision
from localdev.devroutes import DevRoutesHandler

ROOT = Path(__file__).resolve().parent.parent

# Stock `chalice local` leaves Nagle's algorithm on, which adds ~40 ms to keep-alive requests.
ChaliceRequestHandler.disable_nagle_algorithm = True


def stage_environment(stage: str = "dev") -> dict[str, str]:
    """The environment variables .chalice/config.json gives the stage (top level, then stage)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def configure_environment(site_url: str, resources: provision.Resources, **overrides: str) -> None:
    """Point the app at the emulator's resources; everything else as in the dev stage."""
    os.environ.update(stage_environment("dev"))
    os.environ.update({
        "IRAI_TABLE": resources.table,
        "IRAI_BUCKET": resources.bucket,
        "IRAI_MAIL_FROM": resources.no_reply,
        "IRAI_MAIL_CONFIGURATION_SET": resources.configuration_set,
        "IRAI_MAIL_FEEDBACK_TOPIC": resources.feedback_topic,
        # No scheduled sender locally: notifications go out right after the change is stored.
        "IRAI_MAIL_DELIVERY": "inline",
        "IRAI_SITE_URL": site_url,
        "IRAI_LOCAL_MODE": "1",
        # The emulator applies one DynamoDB call at a time and copies the whole table in each
        # transaction, so under concurrent use a call can wait in its queue for seconds, which
        # DynamoDB never makes it do. With AWS's 3 s, botocore would resend calls still queued.
        "IRAI_DYNAMODB_READ_TIMEOUT_SECONDS": "30",
    })
    os.environ.update(overrides)


@dataclass
class AppServer:
    server: LocalDevServer
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server.server_close()
        self.thread.join(timeout=10)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(app, *, host: str = "127.0.0.1", port: int = 0, on_change=None) -> AppServer:
    """Serve the Chalice app (plus the /dev routes) on a background thread."""
    cold_start.load_all()  # it answers on several threads (chalicelib/cold_start.py)
    config = Config.create(chalice_stage="dev", app_name="irai", environment_variables={})
    handler = type("Handler", (DevRoutesHandler,), {"on_change": staticmethod(on_change or (lambda: None))})
    server = LocalDevServer(app, config, host, port, handler_cls=handler, server_cls=_Server)
    bound_port = server.server.server_address[1]
    thread = threading.Thread(target=server.server.serve_forever, name="irai-http", daemon=True)
    thread.start()
    return AppServer(server=server, thread=thread, url=f"http://{host}:{bound_port}")
