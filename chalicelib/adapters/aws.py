"""boto3 clients, created once per process and lazily (Lambda reuses them across requests)."""
from __future__ import annotations

from functools import lru_cache

from botocore.config import Config

_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=None)
def client(service: str):
    """A client for ``service``; AWS_ENDPOINT_URL and the region come from the environment."""
    import boto3  # imported here: routes that never touch S3 or SES do not pay for it

    return boto3.session.Session().client(service, config=_RETRIES)
