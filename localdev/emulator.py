"""The embedded AWS: moto in server mode, in-process, on 127.0.0.1.

The app talks to it over real HTTP through the standard ``AWS_ENDPOINT_URL``, exactly as it
talks to AWS, so nothing in chalicelib/ knows it is local.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

# moto's default account: what AWS::AccountId resolves to in the emulator.
ACCOUNT_ID = "123456789012"
REGION = "ap-northeast-1"


class _OneDynamoDBCallAtATime:
    """WSGI wrapper that lets one DynamoDB call run at a time.

    moto applies TransactWriteItems by snapshotting whole tables and restoring them when a
    condition fails, without a lock: two concurrent transactions (or a transaction and a plain
    write) can then undo each other's work, which DynamoDB never does. Serialising DynamoDB calls
    makes the emulator linearizable like the real service; S3 and SES stay concurrent.
    """

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))  # the whole response, inside the lock


class _Server(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = _OneDynamoDBCallAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass
class Emulator:
    server: ThreadedMotoServer
    endpoint_url: str

    def stop(self) -> None:
        self.server.stop()


def start(port: int = 0) -> Emulator:
    """Start moto on 127.0.0.1 (port 0 picks a free one) and point this process's AWS clients at it."""
    server = _Server(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{bound_port}"
    use_endpoint(endpoint_url)
    return Emulator(server=server, endpoint_url=endpoint_url)


def use_endpoint(endpoint_url: str) -> None:
    """Set the environment every boto3/botocore client of this process reads."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ["AWS_REGION"] = REGION
    # Fake credentials: the emulator accepts any, and a developer's real ones must never be used.
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
