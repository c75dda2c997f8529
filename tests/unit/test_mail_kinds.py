"""Every kind of mail says what happened, the same in its text and HTML parts (issue 16 item 9).

The subject names the event (【見積のご確認】, 【ご確認のお願い】, 【完了】, 【コメント】, 【再開】 …) and
keeps the company, number and 件名 as its tail, so a request's mails stay one conversation;
dates read as on screen; the HTML part carries the agency's name and colour; and the HTML part,
reduced to its text, holds the same sentences and values as the text part, for every mail kind.
"""
from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from chalicelib.models.agency import DEFAULT_COLOUR, AgencySettings
from chalicelib.models.notifications import MailEvent, Notification
from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_MEMBER, User
from chalicelib.services import mail

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=timezone.utc)  # 2026/12/04 10:30 in Japan
REQUEST_ID = "01JDREQUEST0000000000000000"


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    monkeypatch.setenv("IRAI_MAIL_FROM", "no-reply@mail.example.jp")
    monkeypatch.setenv("IRAI_SITE_URL", "https://irai.example.jp")


AGENCY = AgencySettings(*AgencySettings.KEYS, name="株式会社ウェブ工房", mail_sender_name="ウェブ工房 サポート")
CLIENT = User(user_id="hanako", name="依頼 花子", email="hanako@example.jp", role=CLIENT_MEMBER, company_id="c1",
              password_hash="x", created_at=NOW)
STAFF = User(user_id="ichiro", name="担当 一郎", email="ichiro@example.jp", role=AGENCY_STAFF, password_hash="x",
             created_at=NOW)


def _request(**overrides) -> Request:
    values = dict(company_id="c1", company_name="株式会社ミナト", number=12, title="トップページの文言",
                  body="本文", status="waiting", requester_id="hanako", requester_name="依頼 花子",
                  created_at=NOW, last_activity_at=NOW, due_date="2026-12-20")
    values.update(overrides)
    return Request(*Request.keys(REQUEST_ID), request_id=REQUEST_ID, **values)


def _event(event: str, minutes: int = 0, *, side: str = "agency", **values) -> MailEvent:
    at = NOW + timedelta(minutes=minutes)
    return MailEvent.new(request_id=REQUEST_ID, event_id=f"01JDEVENT{event[:4].upper()}{minutes:014d}", created_at=at,
                         event=event, actor_id="ichiro" if side == "agency" else "hanako",
                         actor_name="担当 一郎" if side == "agency" else "依頼 花子", actor_side=side, **values)


def _told(*events: MailEvent, relation: str = "requester", to: User = CLIENT):
    return [(Notification.new(request_id=REQUEST_ID, event_id=e.event_id, recipient_id=to.user_id, created_at=NOW,
                              recipient_name=to.name, event=e.event, relation=relation), e) for e in events]


# One case per kind of event the outbox carries, and the mails that tell several at once.
CASES = {
    "created": (_told(_event("created", side="client", body="お知らせの文言を変えてください。",
                             file_names=["原稿.txt"]), to=STAFF, relation="staff"), "新規依頼"),
    "comment": (_told(_event("comment", body="修正しました。ご確認ください。")), "コメント"),
    "waiting": (_told(_event("status", old_value="対応中", new_value="確認待ち")), "ご確認のお願い"),
    "done": (_told(_event("status", old_value="確認待ち", new_value="完了", charged_tenths=40, left_tenths=60)),
             "完了"),
    "done_metered": (_told(_event("status", old_value="確認待ち", new_value="完了", charged_tenths=25,
                                  usage_tenths=105, usage_month="2026-12")), "完了"),
    "reopened": (_told(_event("status", side="client", old_value="完了", new_value="対応中"), to=STAFF,
                       relation="assignee"), "再開"),
    "withdrawn": (_told(_event("status", side="client", old_value="新規", new_value="取り下げ"), to=STAFF,
                        relation="assignee"), "取り下げ"),
    "on_hold": (_told(_event("status", old_value="対応中", new_value="保留")), "状態の変更"),
    "estimate": (_told(_event("estimate", new_value="4 pt", body="・バナーの差し替え × 2: 4 pt\n合計 4 pt")),
                 "見積のご確認"),
    "estimate_approved": (_told(_event("estimate_answer", side="client", new_value="承認済み"), to=STAFF,
                                relation="assignee"), "見積の承認"),
    "estimate_returned": (_told(_event("estimate_answer", side="client", new_value="差し戻し",
                                       body="1枚で十分です"), to=STAFF, relation="assignee"), "見積の差し戻し"),
    "assigned": (_told(_event("assigned", assignee_id="ichiro"), to=STAFF, relation="assignee"), "担当者のお知らせ"),
    "comments": (_told(_event("comment", 0, body="一つ目です。"), _event("comment", 1, body="二つ目です。"),
                       relation="participant"), "コメント"),
    "status_with_comment": (_told(_event("comment", 0, body="公開しました。"),
                                  _event("status", 0, old_value="確認待ち", new_value="完了")), "完了"),
}


def _parsed(message):
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def _notification(case: str):
    told, _ = CASES[case]
    recipient = STAFF if told[0][0].recipient_id == STAFF.user_id else CLIENT
    return _parsed(mail.notification_message(told, request=_request(), recipient=recipient, agency=AGENCY))


@pytest.mark.parametrize("case", CASES)
def test_the_subject_names_the_event_then_the_request_the_same_for_every_mail_of_it(case):
    subject = str(_notification(case)["Subject"])
    assert subject == f"【{CASES[case][1]}】株式会社ミナト #12 トップページの文言"


def test_the_completion_mail_states_the_points_charged_and_what_is_left_or_the_months_usage():
    text = _notification("done").get_body(("plain",)).get_content()
    assert "この依頼で4 ptを消費しました。残りは6 ptです。" in text
    metered = _notification("done_metered").get_body(("plain",)).get_content()
    assert "この依頼で2.5 ptを消費しました。2026年12月のご利用は合計10.5 ptです。" in metered
    assert "残り" not in metered


def test_several_events_are_one_mail_listing_each_in_order_with_its_time_as_on_screen():
    text = _notification("comments").get_body(("plain",)).get_content()
    assert "2件のお知らせをまとめてお送りします。" in text
    assert text.index("一つ目です。") < text.index("二つ目です。")
    assert "(2026/12/04 10:30)" in text and "(2026/12/04 10:31)" in text
    assert "配信の設定" in text  # a 依頼関係者 can turn it off


def test_dates_read_as_on_screen_and_people_are_named_with_sama():
    parsed = _notification("comment")
    for part in (parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()):
        assert "2026/12/20" in part and "2026-12-20" not in part
        assert "依頼 花子 様" in part and "担当 一郎様がコメントしました。" in part
    assert "担当 一郎様が、あなたをこの依頼の担当者にしました。" in _text_of(_notification("assigned"))


def test_the_html_mail_carries_the_agency_name_and_its_colour():
    html = _notification("comment").get_body(("html",)).get_content()
    assert f"background: {DEFAULT_COLOUR};" in html and "株式会社ウェブ工房" in html  # not chosen: the app's own
    chosen = AgencySettings(*AgencySettings.KEYS, name="株式会社ウェブ工房", mail_sender_name="ウェブ工房 サポート",
                            colour="#0f5132")
    told, _ = CASES["comment"]
    html = _parsed(mail.notification_message(told, request=_request(), recipient=CLIENT, agency=chosen)) \
        .get_body(("html",)).get_content()
    assert "background: #0f5132;" in html and DEFAULT_COLOUR not in html


# Text and HTML say the same -------------------------------------------------------------------

class _Text(HTMLParser):
    """The text a reader sees in an HTML mail: blocks and line breaks end lines, table cells are
    "label: value", link targets are kept (the text part prints them)."""

    BLOCKS = {"p", "div", "br", "tr", "h1", "h2", "h3", "hr", "li", "table"}

    def __init__(self):
        super().__init__()
        self.parts, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "title"):
            self._skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "td":
            self.parts.append(": ")
        if tag == "a":
            self.links.append(dict(attrs).get("href", ""))

    def handle_endtag(self, tag):
        if tag in ("head", "style", "title"):
            self._skip -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _text_of(parsed) -> str:
    return parsed.get_body(("plain",)).get_content()


def _sentences(text: str) -> list[str]:
    """What a text says, sentence by sentence: prose up to each 。, and each "label: value" line."""
    said = []
    for line in text.splitlines():
        line = re.sub(r"\s+", " ", line).strip().removeprefix("■ ").strip()
        if not line or set(line) <= {"-"} or line.startswith("http"):
            continue
        said += [s.strip() for s in re.findall(r"[^。]+。?", line) if s.strip()]
    return said


def _says_the_same(parsed) -> None:
    text = _text_of(parsed).replace("\r\n", "\n")
    reader = _Text()
    reader.feed(parsed.get_body(("html",)).get_content())
    html = "".join(reader.parts)
    flat_html = re.sub(r"\s+", "", html)
    for sentence in _sentences(text):
        # A text line such as "状態: 対応中 / 公開希望日: 2026/12/20" is several cells in HTML.
        for piece in re.split(r" / |: ", sentence) if "。" not in sentence else [sentence]:
            if piece.startswith("http"):
                assert piece in reader.links or piece in html, f"{piece} is not in the HTML part"
                continue
            assert re.sub(r"\s+", "", piece).removesuffix(":") in flat_html, f"{piece!r} is not in the HTML part"
    for sentence in _sentences(html):
        if sentence.endswith("。"):
            assert re.sub(r"\s+", "", sentence) in re.sub(r"\s+", "", text), f"{sentence!r} is not in the text part"
    for url in re.findall(r"https?://\S+", text):
        assert url in reader.links or url in html, f"{url} is not in the HTML part"


@pytest.mark.parametrize("case", CASES)
def test_text_and_html_say_the_same_in_every_notification(case):
    _says_the_same(_notification(case))


def test_text_and_html_say_the_same_in_every_account_mail():
    until = NOW + timedelta(days=3)
    mails = [  # (template, context): the reset mail for one account and for an address with two
        ("login_guidance", dict(user=CLIENT, temporary_password="Tmp-1234-abcd", expires_at=until,
                               login_url="https://irai.example.jp/login", ask="貴社の管理者(管理 花子様)、または制作会社")),
        ("account_changed", dict(user=CLIENT, changes=[("権限", "メンバー", "管理者")], actor_name="管理 一郎",
                                at=NOW, login_url="https://irai.example.jp/login", ask="制作会社")),
        ("password_reset", dict(user=CLIENT, links=[(CLIENT, "https://irai.example.jp/reset/abc")], valid_until=until)),
        ("password_reset", dict(user=CLIENT, links=[(CLIENT, "https://irai.example.jp/reset/abc"),
                                                    (CLIENT, "https://irai.example.jp/reset/def")], valid_until=until)),
        ("report_sent", dict(user=CLIENT, company_name="株式会社サンプル", month_label="2026年11月",
                             sender_name="管理 一郎", sent_at=NOW, report_url="https://irai.example.jp/reports/2026-11",
                             login_url="https://irai.example.jp/login")),
    ]
    import os
    names = {name.split(".")[0] for name in os.listdir(os.path.join(os.path.dirname(mail.__file__), "..", "..",
                                                                    "templates", "email"))
             if not name.startswith("_") and name.endswith(".subject.txt")}
    assert names == {*(template for template, _ in mails), "notification"}, "a new mail kind needs its case here"
    for template, context in mails:
        _says_the_same(_parsed(mail.build(template, to=CLIENT, agency=AGENCY, **context)))
