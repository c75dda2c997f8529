"""The suite's other backend: LocalStack in Docker, started through pytest-localstack.

Used with `pytest --aws-backend=localstack` on a machine with a Docker engine
(`pip install pytest-localstack docker` first). CI and these development machines have no Docker
and use moto; this path is therefore not exercised there.
"""
from __future__ import annotations

from typing import Callable

from localdev.emulator import REGION

SERVICES = ["dynamodb", "s3", "ses"]


def start_localstack() -> tuple[str, Callable[[], None]]:
    """Start a LocalStack container; returns its endpoint URL and a function that stops it."""
    import docker  # installed with pytest-localstack
    from pytest_localstack.session import LocalstackSession

    session = LocalstackSession(docker.from_env(), services=SERVICES, region_name=REGION)
    session.start(timeout=120)
    # Recent LocalStack answers every service on one edge port.
    return session.endpoint_url("dynamodb"), session.stop
