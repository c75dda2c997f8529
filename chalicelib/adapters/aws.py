"""boto3 clients, created once per process and lazily (Lambda reuses them across requests)."""
from __future__ import annotations

from functools import lru_cache

from botocore.config import Config

# Attempts in all, the first included (botocore's ``total_max_attempts``; its ``max_attempts``
# counts retries only, one fewer).
ATTEMPTS = 5
# A call a person's page waits on: botocore's backoff between five attempts (up to about 20 s
# when throttled) would keep the page past API Gateway's 29 s limit with the other work of the
# request, so such calls try three times (a few seconds at most) and then report the failure.
ATTEMPTS_IN_REQUEST = 3


def _config(attempts: int) -> Config:
    return Config(retries={"mode": "standard", "total_max_attempts": attempts}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=None)
def client(service: str, *, attempts: int = ATTEMPTS):
    """A client for ``service``; AWS_ENDPOINT_URL and the region come from the environment."""
    import boto3  # imported here: routes that never touch S3 or SES do not pay for it

    return boto3.session.Session().client(service, config=_config(attempts))
