"""Uploads in progress and the attachments of requests and comments."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item
from chalicelib.models.ids import new_id

PENDING_PREFIX = "uploads/pending/"  # the bucket's lifecycle rule deletes what stays here a day


class Upload(Item, discriminator="Upload"):
    """A presigned upload handed to a browser, not yet confirmed; gone after a day (TTL)."""

    upload_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    request_id = UnicodeAttribute(null=True)  # None while the request itself is being written
    key = UnicodeAttribute(attr_name="s3_key")
    name = UnicodeAttribute()
    size = NumberAttribute()
    content_type = UnicodeAttribute()
    upload_kind = UnicodeAttribute(default="file")  # "file" or "memo" (画面メモ)
    notes = ListAttribute(of=UnicodeAttribute, default=list)  # 画面メモ: the numbered notes as text
    annotations = UnicodeAttribute(null=True)  # 画面メモ: the drawing as JSON (pins, shapes, text)
    created_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def keys(upload_id: str) -> tuple[str, str]:
        return f"UPLOAD#{upload_id}", "UPLOAD"

    @classmethod
    def new(cls, *, company_id: str, request_id: str | None, **attributes) -> "Upload":
        upload_id = new_id()
        key = f"{PENDING_PREFIX}{company_id}/{request_id or 'new'}/{upload_id}"
        return cls(*cls.keys(upload_id), upload_id=upload_id, company_id=company_id, request_id=request_id,
                   key=key, **attributes)


class Attachment(Item, discriminator="Attachment"):
    """A confirmed file of a request (entry_id None) or of one comment, in the request's partition."""

    attachment_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    entry_id = UnicodeAttribute(null=True)
    key = UnicodeAttribute(attr_name="s3_key")
    name = UnicodeAttribute()
    size = NumberAttribute()
    content_type = UnicodeAttribute()
    attachment_kind = UnicodeAttribute(default="file")  # "file" or "memo"
    notes = ListAttribute(of=UnicodeAttribute, default=list)  # 画面メモ: the numbered notes as text
    annotations = UnicodeAttribute(null=True)  # 画面メモ: the drawing as JSON
    uploaded_by = UnicodeAttribute()
    uploaded_by_name = UnicodeAttribute()
    at = UTCDateTimeAttribute()

    @staticmethod
    def keys(request_id: str, attachment_id: str) -> tuple[str, str]:
        return f"REQ#{request_id}", f"F#{attachment_id}"

    @classmethod
    def new(cls, *, request_id: str, company_id: str, **attributes) -> "Attachment":
        attachment_id = new_id()
        key = f"attachments/{company_id}/{request_id}/{attachment_id}"
        return cls(*cls.keys(request_id, attachment_id), attachment_id=attachment_id, request_id=request_id,
                   company_id=company_id, key=key, **attributes)
