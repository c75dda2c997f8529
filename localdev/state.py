"""Keeps local data across restarts of `make run`: the table's items and the bucket's objects
are written to a git-ignored folder on shutdown (and every few seconds after a change) and
loaded back into the fresh emulator on start. `make reset` deletes the folder.

This scans the table, which the app itself never does: it is local tooling, not a request path.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3

from localdev import mailbox
from localdev.emulator import REGION


def _clients():
    return boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION)


def save(folder: Path, *, table: str, bucket: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    dynamodb, s3 = _clients()
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            obj = s3.get_object(Bucket=bucket, Key=entry["Key"])
            objects.append({
                "key": entry["Key"],
                "content_type": obj.get("ContentType", "application/octet-stream"),
                "content_disposition": obj.get("ContentDisposition", ""),
                "metadata": obj.get("Metadata", {}),
                "body": base64.b64encode(obj["Body"].read()).decode("ascii"),
            })
    _write(folder / "dynamodb.json", items)
    _write(folder / "s3.json", objects)
    mailbox.save(folder / "mail.json")


def load(folder: Path, *, table: str, bucket: str) -> int:
    """Put saved items and objects back; returns how many items were restored."""
    mailbox.load(folder / "mail.json")
    dynamodb, s3 = _clients()
    items = _read(folder / "dynamodb.json")
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        request = {table: batch}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    for obj in _read(folder / "s3.json"):
        extra = {"ContentDisposition": obj["content_disposition"]} if obj["content_disposition"] else {}
        s3.put_object(Bucket=bucket, Key=obj["key"], Body=base64.b64decode(obj["body"]),
                      ContentType=obj["content_type"], Metadata=obj["metadata"], **extra)
    return len(items)


def _write(path: Path, data: list) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)  # atomic: a crash mid-write never leaves half a file


def _read(path: Path) -> list:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
