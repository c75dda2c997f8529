"""月次保守レポート: one item per company and month, in the company's partition.

``COMPANY#<id>`` / ``REPORT#<YYYY-MM>``: the company page's partition read sees it (and leaves it
out), the report page reads it in the batch that reads the balance. A draft holds the agency's
コメント; 送信 freezes the figures (``snapshot``, JSON) and the key of the PDF written once to S3,
and lists the report under GSI1 ``REPORTS#<month>``, so the 管理画面's list of last month's
unsent reports is one query whatever the number of companies or months.
"""
from __future__ import annotations

import json

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import Item, Kept
from chalicelib.models.ids import new_id

DRAFT, SENT = "draft", "sent"


def sent_partition(month: str) -> str:
    return f"REPORTS#{month}"


class Report(Item, discriminator="Report"):
    company_id = UnicodeAttribute()
    month = UnicodeAttribute()                  # YYYY-MM, Japan time
    report_id = UnicodeAttribute()
    state = UnicodeAttribute(default=DRAFT)
    comment = UnicodeAttribute(default="")
    comment_by = UnicodeAttribute(default="")   # who last saved the comment
    updated_at = UTCDateTimeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    sender_id = UnicodeAttribute(null=True)
    sender_name = UnicodeAttribute(null=True)
    snapshot = UnicodeAttribute(null=True)      # the figures as sent (JSON), never recomputed
    pdf_key = UnicodeAttribute(null=True)
    revision = NumberAttribute(default=0)       # +1 per save: the condition of the next one

    @staticmethod
    def keys(company_id: str, month: str) -> tuple[str, str]:
        return f"COMPANY#{company_id}", f"REPORT#{month}"

    @classmethod
    def blank(cls, company_id: str, month: str) -> "Report":
        """An unsaved draft (revision 0) for a month nobody has written to yet."""
        return cls(*cls.keys(company_id, month), company_id=company_id, month=month, report_id=new_id())

    @property
    def sent(self) -> bool:
        return self.state == SENT

    @property
    def figures(self) -> dict | None:
        return json.loads(self.snapshot) if self.snapshot else None

    def pdf_key_for(self) -> str:
        return f"documents/reports/{self.company_id}/{self.month}-{self.report_id}.pdf"

    def listing_keys(self) -> tuple[str, str]:
        """GSI1 keys listing a sent report under its month."""
        return sent_partition(self.month), f"COMPANY#{self.company_id}"

    @classmethod
    def sent_of_company(cls, company_id: str, *, limit: int = 120) -> list["Report"]:
        """The company's reports, newest month first (one query of its partition's REPORT# range)."""
        return [r for r in cls.query(f"COMPANY#{company_id}", cls.sk.startswith("REPORT#"), scan_index_forward=False,
                                     limit=limit, consistent_read=True) if r.sent]

    @classmethod
    def sent_company_ids(cls, month: str, *, limit: int = 1000) -> set[str]:
        """The companies whose report for ``month`` has been sent (one query of GSI1)."""
        return {r.company_id for r in cls.gsi1.query(sent_partition(month), limit=limit)}


_SENT_KEPT: dict[str, Kept] = {}


def sent_company_ids_kept(month: str) -> set[str]:
    """``Report.sent_company_ids`` kept per container for a minute (the 管理画面 asks on every
    view); sending a report here forgets it."""
    kept = _SENT_KEPT.get(month)
    if kept is None:
        kept = _SENT_KEPT.setdefault(month, Kept(f"reports sent {month}", lambda: Report.sent_company_ids(month),
                                                 types=(Report,), seconds=60.0))
    return kept.get()
