"""One date format on every page and in every mail (issue 17), as rendered, against the emulator.

Every GET page of the route table is opened as each role (tests/support/walk.py) on a company
with a contract, a ledger, and a request that has a 公開希望日 and a changed one in its thread;
the mails that world sent (login guidance, a change of state with its 公開希望日) are read from the
local mailbox. Every date in their visible text must read 2026/12/02, and every time of day must
follow its date (2026/12/02 14:05). tests/unit/test_dates.py holds the templates to the filters.
"""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from chalicelib.services import ledger, notifications, requests, workflow
from tests.support.accounts import signed_in
from tests.support.factories import make_request
from tests.support.hostile import BY_LABEL
from tests.support.mailbox import mail_to
from tests.support.walk import SIGNED_IN_ROLES, build_world, get_pages

# Anything that reads as a date: 2026-12-02, 2026/12/2, 2026.12.02, 2026年12月2日, 12/02.
DATE_LIKE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?|(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])")
TIME = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
ONE_DATE = re.compile(r"\d{4}/\d{2}/\d{2}")
AFTER_A_DATE = re.compile(r"\d{4}/\d{2}/\d{2} $")


def visible_text(page: str) -> str:
    """What a reader sees of an HTML page or mail: no tags, attributes, scripts or styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def other_formats(text: str) -> list[str]:
    found = [m.group(0) for m in DATE_LIKE.finditer(text) if not ONE_DATE.fullmatch(m.group(0))]
    found += [text[max(0, m.start() - 6):m.end()].strip() for m in TIME.finditer(text)
              if not AFTER_A_DATE.search(text[max(0, m.start() - 11):m.start()])]
    return found


@pytest.fixture(scope="module")
def world(aws):
    world = build_world()
    member, staff = world["people"]["client_member"], world["people"]["agency_staff"]
    due = ledger.today_jst() + timedelta(days=30)
    dated = make_request(member, title="日付のある依頼", due_date=due.isoformat())
    requests.update_request(staff, dated.request_id, requests.RequestChanges(
        status=workflow.IN_PROGRESS, due_date=(due + timedelta(days=1)).isoformat()), revision=0)
    # The requester's mail of 対応中, as the schedule would send it once any mail window has passed
    # (services are called directly here, outside a request of the app).
    notifications.deliver_request(dated.request_id, now=dated.created_at + timedelta(hours=1))
    world["dated"], world["due"] = dated, due
    return world


def test_the_check_sees_other_formats():
    assert other_formats("公開希望日 2026-12-04 更新 12/02 14:05 ロック中(14:05まで) 2026年12月4日") == [
        "2026-12-04", "12/02", "2026年12月4日", "12/02 14:05", "ロック中(14:05"]
    assert other_formats("登録日時 2026/12/02 14:05 公開希望日 2026/12/04 2026年12月分 #12 1,000円") == []


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_every_page_writes_dates_one_way(app, client, world, role):
    agent = signed_in(client, world["people"][role])
    ids = dict(world["ids"], request_id=world["dated"].request_id)
    pages = get_pages(app, agent, ids)
    assert len(pages) >= 8
    # What the hostile walks type on purpose is people's own text, not a date the app wrote: the
    # session's table is shared, so a walk elsewhere on this worker may have named an agency
    # account or changed a field to "9999-12-31", and the agency's pages list every agency account
    # (the 担当者 choices) and the 監査ログ quotes every change as it was typed.
    typed = sorted((value for value in BY_LABEL.values() if DATE_LIKE.search(value)), key=len, reverse=True)

    def written(body: str) -> str:
        text = visible_text(body)
        for value in typed:
            text = text.replace(value, " ")
        return text

    shown = {path: other_formats(written(body)) for path, body in pages.items()}
    assert {path: found for path, found in shown.items() if found} == {}
    request_page = visible_text(pages[f"/requests/{world['dated'].request_id}"])
    assert (world["due"] + timedelta(days=1)).strftime("%Y/%m/%d") in request_page  # the walk saw the dates


def test_every_mail_writes_dates_one_way(world):
    """The 公開希望日 in the requester's mail of a change, and the login guidance's expiry."""
    notification = mail_to(world["people"]["client_member"].email, subject="日付のある依頼")
    guidance = mail_to(world["people"]["client_admin"].email, subject="ログインのご案内")
    report = mail_to(world["people"]["client_admin"].email, subject="月次保守レポート")
    for mail in (notification, guidance, report):
        for text in (mail["text"], visible_text(mail["html"])):
            assert other_formats(text) == [], mail["subject"]
    assert (world["due"] + timedelta(days=1)).strftime("%Y/%m/%d") in notification["text"]
    assert re.search(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}", guidance["text"])
