"""The attachments bucket: presigned uploads and downloads, existence checks, server-side copies.

Attachment bytes never pass through Lambda: browsers POST straight to S3 with a policy bound to
one key, one content type and one size, and download through short-lived presigned GETs.
"""
from __future__ import annotations

import os
from functools import lru_cache
from urllib.parse import quote, urlsplit

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import config
from chalicelib.errors import ServiceUnavailable


@lru_cache(maxsize=1)
def _client():
    import boto3

    # Virtual-hosted URLs in AWS; an emulator on an IP address needs path-style ones.
    style = "path" if os.environ.get("AWS_ENDPOINT_URL") else "virtual"
    settings = Config(signature_version="s3v4", s3={"addressing_style": style},
                      retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)
    return boto3.session.Session().client("s3", config=settings)


def presigned_post(key: str, *, content_type: str, size: int) -> dict:
    """A form the browser posts the file with: this key, this type, exactly this many bytes."""
    return _client().generate_presigned_post(
        Bucket=config.attachments_bucket(),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=config.upload_url_seconds(),
    )


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback name and the real (e.g. Japanese) name percent-encoded."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"


def presigned_get(key: str, *, filename: str, content_type: str, inline: bool = False) -> str:
    """A short-lived link that serves the object as a download (or, for images, inline)."""
    return _client().generate_presigned_url("get_object", Params={
        "Bucket": config.attachments_bucket(),
        "Key": key,
        "ResponseContentDisposition": content_disposition("inline" if inline else "attachment", filename),
        "ResponseContentType": content_type if inline else "application/octet-stream",
    }, ExpiresIn=config.download_url_seconds())


def size_of(key: str) -> int | None:
    """The object's size, or None if it does not exist (yet)."""
    try:
        return int(_client().head_object(Bucket=config.attachments_bucket(), Key=key)["ContentLength"])
    except ClientError as error:
        # Without s3:ListBucket, S3 answers 403 rather than 404 for a missing object.
        if error.response.get("Error", {}).get("Code") in ("404", "403", "NoSuchKey", "NotFound"):
            return None
        raise ServiceUnavailable("s3 head failed") from error
    except BotoCoreError as error:
        raise ServiceUnavailable("s3 head failed") from error


def move(source: str, target: str) -> None:
    """Copy inside the bucket (no bytes through Lambda), then delete the source."""
    bucket = config.attachments_bucket()
    try:
        _client().copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": source})
        _client().delete_object(Bucket=bucket, Key=source)
    except (ClientError, BotoCoreError) as error:
        raise ServiceUnavailable("s3 move failed") from error


def put_once(key: str, body: bytes, *, content_type: str) -> bool:
    """Write an issued document: only if nothing is at ``key`` yet (S3's conditional write), so a
    stored document is never rewritten. False when one already was there."""
    try:
        _client().put_object(Bucket=config.attachments_bucket(), Key=key, Body=body, ContentType=content_type,
                             IfNoneMatch="*")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            return False
        raise ServiceUnavailable("s3 put failed") from error
    except BotoCoreError as error:
        raise ServiceUnavailable("s3 put failed") from error
    return True


def read(key: str) -> bytes | None:
    """The object's bytes, or None if it does not exist."""
    try:
        return _client().get_object(Bucket=config.attachments_bucket(), Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "403", "NoSuchKey", "NotFound"):
            return None
        raise ServiceUnavailable("s3 get failed") from error
    except BotoCoreError as error:
        raise ServiceUnavailable("s3 get failed") from error


def origins() -> list[str]:
    """Where browsers reach the bucket, for the Content-Security-Policy (no boto3 needed)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket, region = config.attachments_bucket(), os.environ.get("AWS_REGION", "")
    # Presigned POSTs name the global host, presigned GETs the regional one.
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]
