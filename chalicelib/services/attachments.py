"""Attachments (添付ファイル) of requests and comments: upload slots, confirmation, downloads.

The browser asks for a slot (a presigned POST bound to one pending key, type and size), uploads
straight to S3, then submits the request or comment with the slots' IDs. Only then does the app
check that each object exists with the announced size and move it under the request; a file
never confirmed never shows up, and the bucket's lifecycle rule deletes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from chalicelib.adapters import config, s3
from chalicelib.messages import t
from chalicelib.models.attachments import Attachment, Upload
from chalicelib.models.base import Item, unavailable
from chalicelib.models.ids import is_id
from chalicelib.models.requests import Request
from chalicelib.models.users import User
from chalicelib.services import permissions
from chalicelib.services import validation as v
from chalicelib.clock import utcnow
from chalicelib.errors import Invalid, NotFound

NAME_MAX = 200
MAX_FILES = 10
MEMO_NOTES_MAX = 50
MEMO_NOTE_LENGTH = 500
ANNOTATIONS_MAX = 100_000  # characters of JSON: a memo's shapes, not its pixels
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


@dataclass
class KeptUpload:
    """A file already uploaded for a form that was refused: what the form lists and sends again."""

    upload_id: str
    name: str
    size: int
    content_type: str
    kind: str  # "file" or "memo" (画面メモ)
    notes: list[str]


@dataclass
class UploadSlot:
    upload_id: str
    url: str
    fields: dict
    max_bytes: int


def clean_name(raw: str) -> str:
    """The file's own name: no folders, then the single-line cleaner (validation.one_line: NFC, no
    control or format characters, line breaks and whitespace as one space). Names are never
    refused for a line break: the browser's file picker chose them, not the person."""
    return v.one_line(raw.replace("\\", "/").rsplit("/", 1)[-1])


def start_upload(actor: User, *, name: str, size: int, content_type: str, request_id: str | None = None,
                 kind: str = "file", notes: list[str] | None = None, annotations: str | None = None,
                 now: datetime | None = None) -> UploadSlot:
    """A slot for one file, for a new request (request_id None) or a comment on ``request_id``.

    A 画面メモ (kind "memo") is a PNG with its numbered ``notes`` and its drawing as JSON
    ``annotations``; both are kept with the attachment.

    Raises Invalid (size, name, type), NotFound (another company's request), Forbidden.
    """
    if request_id is None:
        permissions.authorize(actor, permissions.REQUEST_CREATE, company_id=actor.company_id)
        company_id = actor.company_id
    else:
        request = Request.find(request_id) if is_id(request_id) else None
        if request is None:
            raise NotFound()
        permissions.authorize(actor, permissions.REQUEST_COMMENT, company_id=request.company_id)
        company_id = request.company_id
    name = clean_name(name)
    content_type = (content_type or "application/octet-stream").strip().lower()
    errors: dict[str, str] = {}
    if not name or len(name) > NAME_MAX:
        errors["name"] = t("upload.name")
    if size <= 0:
        errors["size"] = t("upload.empty")
    elif size > config.upload_max_bytes():
        errors["size"] = t("upload.too_large", max_mb=config.upload_max_bytes() // (1024 * 1024))
    if not _CONTENT_TYPE.match(content_type):
        errors["content_type"] = t("upload.type")
    memo = kind == "memo"
    notes = [v.one_line(note) for note in (notes or [])] if memo else []
    if memo and content_type != "image/png":
        errors["content_type"] = t("upload.type")
    if len(notes) > MEMO_NOTES_MAX or any(len(note) > MEMO_NOTE_LENGTH for note in notes):
        errors["notes"] = t("too_long", max=MEMO_NOTE_LENGTH)
    if memo and annotations is not None and len(annotations) > ANNOTATIONS_MAX:
        errors["annotations"] = t("upload.too_large", max_mb=0.1)
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    upload = Upload.new(company_id=company_id, request_id=request_id, user_id=actor.user_id, name=name, size=size,
                        content_type=content_type, upload_kind="memo" if memo else "file", notes=notes,
                        annotations=annotations if memo else None, created_at=now,
                        expires_at=int((now + timedelta(days=1)).timestamp()))
    upload.save(condition=Upload.pk.does_not_exist())
    post = s3.presigned_post(upload.key, content_type=content_type, size=size)
    return UploadSlot(upload_id=upload.upload_id, url=post["url"], fields=post["fields"],
                      max_bytes=config.upload_max_bytes())


def check_uploads(actor: User, upload_ids: list[str], *, request_id: str | None,
                  now: datetime | None = None) -> list[Upload]:
    """The actor's own live slots for this request, each uploaded with exactly the announced size.

    Raises Invalid with a message for the form's 添付ファイル field; nothing is moved yet.
    """
    unique = list(dict.fromkeys(i for i in upload_ids if i))
    if len(unique) > MAX_FILES:
        raise Invalid({"attachments": t("upload.too_many", max=MAX_FILES)})
    now = now or utcnow()
    uploads = []
    for upload_id in unique:
        upload = Upload.find(upload_id) if is_id(upload_id) else None
        if (upload is None or upload.user_id != actor.user_id or upload.request_id != request_id
                or upload.expires_at <= now.timestamp()):
            raise Invalid({"attachments": t("upload.unknown")})
        if s3.size_of(upload.key) != upload.size:
            raise Invalid({"attachments": t("upload.missing")})
        uploads.append(upload)
    return uploads


def kept_uploads(actor: User, upload_ids: list[str], *, request_id: str | None,
                 now: datetime | None = None) -> list[KeptUpload]:
    """The uploads a refused form sent that it may send again, in the order sent: the actor's own
    slots issued for this very form (a new request when ``request_id`` is None, else a comment on
    it), not yet claimed by a saved request or comment. Any other id (someone else's, another
    form's, used, expired or made up) is left out without a word, so the page never names a file
    that is not the actor's; the next submit refuses it anyway (check_uploads).

    One read, whatever was posted. When DynamoDB cannot answer, nothing is listed rather than the
    whole form lost with it.
    """
    unique = [i for i in dict.fromkeys(upload_ids) if is_id(i)][:MAX_FILES]
    if not unique:
        return []
    now = now or utcnow()
    try:
        found = {u.upload_id: u for u in Upload.batch_get([Upload.keys(i) for i in unique])}
    except PynamoDBException as error:
        if unavailable(error):
            return []
        raise
    kept = []
    for upload_id in unique:
        upload = found.get(upload_id)
        if upload is None or upload.user_id != actor.user_id or upload.request_id != request_id:
            continue
        if upload.expires_at <= now.timestamp():
            continue  # past its day: TTL deletes it late, and S3's lifecycle rule the file
        kept.append(KeptUpload(upload_id=upload.upload_id, name=upload.name, size=upload.size,
                               content_type=upload.content_type, kind=upload.upload_kind,
                               notes=list(upload.notes)))
    return kept


def attach(uploads: list[Upload], request: Request, actor: User, *, entry_id: str | None = None,
           now: datetime | None = None) -> list[Attachment]:
    """Move checked uploads under the request and record them (on the request or one comment)."""
    now = now or utcnow()
    attached = []
    for upload in uploads:
        attachment = Attachment.new(
            request_id=request.request_id, company_id=request.company_id, entry_id=entry_id, name=upload.name,
            size=upload.size, content_type=upload.content_type, attachment_kind=upload.upload_kind,
            uploaded_by=actor.user_id,
            uploaded_by_name=actor.name, at=now, notes=list(upload.notes), annotations=upload.annotations)
        s3.move(upload.key, attachment.key)
        attachment.save()
        upload.delete()
        attached.append(attachment)
    return attached


def is_inline(attachment: Attachment) -> bool:
    return attachment.content_type in config.inline_image_types()


def download_url(actor: User, request_id: str, attachment_id: str, *, inline: bool = False) -> str:
    """A short-lived link to the file, after the permission check. Only images are ever inline."""
    if not (is_id(request_id) and is_id(attachment_id)):
        raise NotFound()
    keys = [Request.keys(request_id), Attachment.keys(request_id, attachment_id)]
    found = {type(item).__name__: item for item in Item.batch_get(keys)}
    request, attachment = found.get("Request"), found.get("Attachment")
    if request is None or attachment is None:
        raise NotFound()
    permissions.authorize(actor, permissions.REQUEST_VIEW, company_id=request.company_id)
    if inline and not is_inline(attachment):
        raise NotFound()
    return s3.presigned_get(attachment.key, filename=attachment.name, content_type=attachment.content_type,
                            inline=inline)
