"""Rendering mail from stored text never fails: every hostile value gives a valid message.

Threat: text stored before the single-line cleaner existed (a 件名 holding U+2028 or a lone CR,
a company, agency, sender or person's name with a control character) made Python's email
library refuse the Subject or From header, so every later mail about that request failed for
good. Mails are rendered from stored data, so the headers are cleaned when the mail is built,
whatever the data holds; the bodies keep their lines and lose only what no mail may carry.
"""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone

import pytest

from chalicelib.models.agency import AgencySettings
from chalicelib.models.notifications import MailEvent, Notification
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, User
from chalicelib.services import mail
from chalicelib.services import validation as v
from tests.support.hostile import JSON_ONLY, VALUES

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
FIELDS = ["title", "company_name", "agency_name", "sender_name", "recipient_name", "actor_name", "body",
          "file_name"]


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    monkeypatch.setenv("IRAI_MAIL_FROM", "no-reply@mail.example.jp")
    monkeypatch.setenv("IRAI_SITE_URL", "https://irai.example.jp")


def notification_with(field: str, value: str):
    texts = {name: f"普通の{name}" for name in FIELDS}
    texts[field] = value
    request = Request(*Request.keys("01JDREQUEST0000000000000000"), request_id="01JDREQUEST0000000000000000",
                      company_id="c1", company_name=texts["company_name"], number=7, title=texts["title"],
                      body=texts["body"], status="new", requester_id="asker", requester_name="依頼 花子",
                      created_at=NOW, last_activity_at=NOW)
    recipient = User(user_id="staff1", name=texts["recipient_name"], email="staff1@example.jp", role=AGENCY_STAFF,
                     password_hash="x", created_at=NOW)
    e = MailEvent.new(request_id=request.request_id, event_id=request.request_id, created_at=NOW, event="created",
                      actor_id="asker", actor_name=texts["actor_name"], actor_side="client", body=texts["body"],
                      file_names=[texts["file_name"]])
    n = Notification.new(request_id=request.request_id, event_id=e.event_id, recipient_id=recipient.user_id,
                         created_at=NOW, recipient_name=recipient.name, event="created", relation="staff")
    agency = AgencySettings(*AgencySettings.KEYS, name=texts["agency_name"], mail_sender_name=texts["sender_name"])
    return n, e, request, recipient, agency


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("label,value", VALUES + JSON_ONLY, ids=[label for label, _ in VALUES + JSON_ONLY])
def test_every_hostile_stored_value_renders_a_valid_mail(field, label, value):
    n, e, request, recipient, agency = notification_with(field, value)
    message = mail.notification_message([(n, e)], request=request, recipient=recipient, agency=agency)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    subject = str(parsed["Subject"])
    assert subject == v.one_line(subject) and len(subject.splitlines()) == 1
    assert "#7" in subject and v.one_line(request.title) in subject
    sender = parsed["From"].addresses[0]
    assert sender.addr_spec == "no-reply@mail.example.jp"
    assert sender.display_name == v.one_line(agency.mail_sender_name)
    assert parsed["To"].addresses[0].addr_spec == "staff1@example.jp"
    text = parsed.get_body(("plain",)).get_content()
    assert v.multi_line(text) == text
    if field == "body":
        assert v.multi_line(value).strip() in text.replace("\r\n", "\n")


def test_a_legacy_title_with_a_line_separator_reads_as_one_line():
    n, e, request, recipient, agency = notification_with("title", "トップページ\u2028の文言\r修正")
    message = mail.notification_message([(n, e)], request=request, recipient=recipient, agency=agency)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert str(parsed["Subject"]) == "【新規依頼】普通のcompany_name #7 トップページ の文言 修正"


SPACED = ["株式会社ミナト #7 トップページの文言", "依頼 花子 様 の 件名 に 空白 が 多い", "a b c d e f g h i j k l m n o p",
          "全角　空白　入り　の　件名", "ASCII words then 日本語 then more ASCII words at the very end of it"]


@pytest.mark.parametrize("pad", range(0, 60))
@pytest.mark.parametrize("tail", SPACED)
def test_a_long_subject_keeps_every_space_wherever_the_header_is_folded(pad, tail):
    """Threat: Python's folder drops the space that falls between two RFC 2047 encoded words, so
    a long Japanese subject reached people as 「#7トップページ」 and no longer matched the request's
    other mails. Every length (so the fold falls on every position) must come back exactly."""
    from chalicelib.adapters import ses

    subject = "【コメント】" + "あ" * pad + " " + tail
    message = ses.build_message(to="a@example.jp", subject=subject, text="本文", html="<p>本文</p>",
                                sender_name="制作会社 送信", to_name="依頼 花子 様")
    raw = message.as_bytes()
    assert all(len(line) <= 78 for line in raw.split(b"\n")[:12] if line.startswith((b"Subject", b" ")))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["Subject"]) == subject
    assert parsed["To"].addresses[0].display_name == "依頼 花子 様"
