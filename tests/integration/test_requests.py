"""Requests and their conversation (manual sections 2 and 3, the agency's inbox), against the emulator."""
from __future__ import annotations

import json
import re
import threading
from datetime import date, timedelta

import jsonschema
import pytest

from chalicelib.models.requests import Request
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import listings, requests, workflow
from chalicelib.errors import Invalid
from chalicelib.web.openapi import DOCUMENT
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company, make_request, make_user


@pytest.fixture
def company():
    return make_company("株式会社みどり")


@pytest.fixture
def client_admin(company):
    return make_client(company, role=CLIENT_ADMIN, name="緑川 花子")


@pytest.fixture
def member(company):
    return make_client(company, name="青木 一郎")


@pytest.fixture
def staff():
    return make_user(role=AGENCY_STAFF, name="担当 太郎")


def revision_on(page: str) -> str:
    return re.search(r'name="revision" value="(\d+)"', page).group(1)


# 新規依頼

def test_new_request_form_has_the_manual_labels(client, client_admin, member):
    web = signed_in(client, client_admin)
    page = web.text(web.get("/requests/new"))
    for label in ("公開希望日", "件名", "依頼内容", "依頼関係者", "依頼を登録する", member.name):
        assert label in page
    assert "お約束ではありません" in page


def test_filing_lands_on_the_progress_screen_with_everything(client, client_admin, member):
    web = signed_in(client, client_admin)
    web.get("/requests/new")
    due = (date.today() + timedelta(days=10)).isoformat()
    response = web.post("/requests", {"title": "採用ページの更新", "body": "募集要項を差し替えてください。\n詳細は https://example.com/a を参照",
                                      "due_date": due, "participant_ids": member.user_id})
    assert response.status_code == 303
    page = web.text(web.get(response.headers["location"]))
    assert "依頼を登録しました" in page and "採用ページの更新" in page and "#" in page
    assert due.replace("-", "/") in page and client_admin.name in page and member.name in page and "新規" in page
    assert "募集要項を差し替えてください。<br>" in page  # line breaks kept
    assert '<a href="https://example.com/a" rel="noopener noreferrer nofollow"' in page  # links kept


@pytest.mark.parametrize("field", ["title", "body"])
@pytest.mark.parametrize("markup", ["<b>太字</b>", "<script>alert(1)</script>", "<a href=\"x\">リンク</a>", "<br/>",
                                    "<!-- コメント -->", "<img src=x onerror=alert(1)"])
def test_markup_is_refused_and_nothing_is_stored(client, client_admin, field, markup):
    web = signed_in(client, client_admin)
    web.get("/requests/new")
    typed = {"title": "件名です", "body": "本文です", "due_date": ""}
    typed[field] = typed[field] + markup
    before = client_admin_request_count(client_admin)
    response = web.post("/requests", typed)
    page = web.text(response)
    assert response.status_code == 400
    assert "テキストファイルなどに保存して「添付ファイル」でお送りください" in page
    assert client_admin_request_count(client_admin) == before
    from markupsafe import escape
    assert str(escape(typed[field])) in page  # everything typed is kept (escaped)


def client_admin_request_count(user) -> int:
    return sum(len(group) for _, group in listings.client_dashboard(user))


@pytest.mark.parametrize("text", ["A > B の順に並べ替え", "<注意> 文言を変更", "1 < 2 かつ 3 > 2", "価格: <税込>"])
def test_text_with_angle_brackets_is_not_markup(client_admin, text):
    created = make_request(client_admin, title=text[:100], body=text)
    assert created.title == text and created.body == text


def test_required_length_and_date_errors_keep_the_input(client, client_admin):
    web = signed_in(client, client_admin)
    web.get("/requests/new")
    response = web.post("/requests", {"title": "x" * 101, "body": "", "due_date": "2020-01-01"})
    page = web.text(response)
    assert response.status_code == 400
    assert "100文字以内" in page and "入力してください" in page and "今日以降" in page
    assert 'value="2020-01-01"' in page and "x" * 101 in page


def test_participants_outside_the_company_are_refused(client_admin):
    other = make_client(make_company("他社"))
    with pytest.raises(Invalid) as refused:
        make_request(client_admin, participant_ids=[other.user_id])
    assert "participant_ids" in refused.value.errors


def test_numbers_are_per_company_and_unique_when_filed_at_once(company):
    people = [make_client(company) for _ in range(4)]
    numbers: list[int] = []
    barrier = threading.Barrier(20)

    def file(index: int):
        barrier.wait()
        numbers.append(make_request(people[index % 4], title=f"同時 {index}").number)

    threads = [threading.Thread(target=file, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 21))
    other = make_client(make_company("別の会社"))
    assert make_request(other).number == 1


# 依頼の進行画面 and comments

def test_comment_without_javascript_through_the_comment_screen(client, client_admin):
    created = make_request(client_admin)
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    assert 'aria-label="コメントを追加"' in page and f'href="/requests/{created.request_id}/comment"' in page
    form = web.text(web.get(f"/requests/{created.request_id}/comment"))
    assert "コメント" in form and "コメント追加" in form
    response = web.post(f"/requests/{created.request_id}/comments", {"body": "よろしく<お願い>します\n2行目"})
    assert response.status_code == 303
    page = web.text(web.get(f"/requests/{created.request_id}"))
    assert "よろしく&lt;お願い&gt;します<br>" in page and "thread__comment--client" in page


def test_empty_or_markup_comment_is_refused_and_kept(client, client_admin):
    created = make_request(client_admin)
    web = signed_in(client, client_admin)
    web.get(f"/requests/{created.request_id}/comment")
    response = web.post(f"/requests/{created.request_id}/comments", {"body": "<script>x</script>"})
    assert response.status_code == 400 and "HTMLタグ" in web.text(response)
    assert "&lt;script&gt;x&lt;/script&gt;" in web.text(response)


def test_times_are_shown_in_japan_time(client, client_admin):
    created = make_request(client_admin)
    requests.add_comment(client_admin, created.request_id, "時刻の確認")
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    expected = created.created_at.astimezone(__import__("chalicelib.templating", fromlist=["JST"]).JST)
    assert expected.strftime("%Y/%m/%d %H:%M") in page


def test_client_and_agency_are_clearly_apart_in_the_thread(client, client_admin, staff):
    created = make_request(client_admin)
    requests.add_comment(client_admin, created.request_id, "お客様の発言")
    requests.add_comment(staff, created.request_id, "制作会社の回答")
    web = signed_in(client, client_admin)
    html = web.text(web.get(f"/requests/{created.request_id}"))
    assert html.index("thread__comment--client") < html.index("thread__comment--agency")


# Agency actions and the audit trail

def test_agency_changes_status_assignee_and_date_each_as_an_event(client, client_admin, staff):
    created = make_request(client_admin)
    web = signed_in(client, staff)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    due = (date.today() + timedelta(days=3)).isoformat()
    response = web.post(f"/requests/{created.request_id}", {"status": workflow.IN_PROGRESS, "assignee_id": staff.user_id,
                                                            "due_date": due, "memo": "", "revision": revision_on(page)})
    assert response.headers["location"].endswith("notice=updated")
    client_view = signed_in(client, client_admin)
    page = client_view.text(client_view.get(f"/requests/{created.request_id}"))
    assert "担当 太郎が状態を「新規」から「対応中」に変更しました" in page
    assert "担当者を「未定」から「担当 太郎」に変更しました" in page
    # The thread writes the date as every page does (issue 17), not as it is stored.
    assert f"公開希望日を「指定なし」から「{date.fromisoformat(due):%Y/%m/%d}」に変更しました" in page


def test_transitions_outside_the_table_are_refused(client_admin, staff):
    created = make_request(client_admin)
    with pytest.raises(Invalid) as refused:  # the agency cannot withdraw for the client
        requests.update_request(staff, created.request_id, requests.RequestChanges(status=workflow.WITHDRAWN), revision=0)
    assert "この状態には変更できません" in refused.value.errors["status"]
    with pytest.raises(Invalid):  # the client cannot start the work
        requests.update_request(client_admin, created.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS),
                                revision=0)
    assert Request.find(created.request_id).status == workflow.NEW


def test_transition_table_denies_by_default():
    every = list(workflow.LABELS)
    for side in (workflow.AGENCY, workflow.CLIENT, "someone"):
        for old in every:
            for new in every:
                assert workflow.allowed(side, old, new) == (side in workflow.TRANSITIONS.get((old, new), set()))
    # 再開 (issue 16): the agency brings a 取り下げ request back to 新規; the client does not.
    assert workflow.allowed(workflow.AGENCY, workflow.WITHDRAWN, workflow.NEW)
    assert not workflow.allowed(workflow.CLIENT, workflow.WITHDRAWN, workflow.NEW)
    assert not workflow.allowed(workflow.AGENCY, workflow.WITHDRAWN, workflow.IN_PROGRESS)


def test_internal_memo_never_reaches_the_client(client, client_admin, staff):
    created = make_request(client_admin)
    requests.update_request(staff, created.request_id, requests.RequestChanges(memo="見積もりは高めに"), revision=0)
    staff_page = signed_in(client, staff)
    assert "見積もりは高めに" in staff_page.text(staff_page.get(f"/requests/{created.request_id}"))
    web = signed_in(client, client_admin)
    assert "見積もりは高めに" not in web.text(web.get(f"/requests/{created.request_id}"))
    api = web.client.http.get(f"/api/requests/{created.request_id}", headers=web._headers())
    assert "見積もりは高めに" not in api.body.decode() and api.status_code == 200


def test_an_internal_memo_does_not_move_the_revision_a_client_sees(client, client_admin, staff):
    """Threat: a 社内メモ saved by the agency bumping the revision the client reads (JSON, hidden
    fields) lets the client count internal memos, and makes its 取り下げ with the page it holds
    fail with a spurious 409. The agency's own check must still see every save, memos included."""
    created = make_request(client_admin)
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    before_json = json.loads(web.api("GET", f"/api/requests/{created.request_id}").body)["request"]["revision"]
    agency = signed_in(client, staff)
    agency_page = agency.text(agency.get(f"/requests/{created.request_id}"))
    assert agency.post(f"/requests/{created.request_id}", {"memo": "社内だけの話", "revision": revision_on(agency_page)}
                       ).status_code == 303
    assert json.loads(web.api("GET", f"/api/requests/{created.request_id}").body)["request"]["revision"] == before_json
    assert revision_on(web.text(web.get(f"/requests/{created.request_id}"))) == revision_on(page)
    # The agency's stale page is refused: another save (the memo) happened since it was read.
    agency.get(f"/requests/{created.request_id}")  # a fresh CSRF token; the revision stays the old page's
    stale = agency.post(f"/requests/{created.request_id}", {"status": workflow.IN_PROGRESS,
                                                            "revision": revision_on(agency_page)})
    assert stale.status_code == 409
    assert Request.find(created.request_id).status == workflow.NEW
    # The client's 取り下げ from the page read before the memo goes through.
    web.get(f"/requests/{created.request_id}")
    assert web.post(f"/requests/{created.request_id}/withdraw", {"revision": revision_on(page), "confirmed": "1"}).status_code == 303
    assert Request.find(created.request_id).status == workflow.WITHDRAWN


def test_a_request_saved_before_the_client_revision_existed_still_works(client, client_admin, staff):
    """Items written before the client-visible counter existed carry only ``revision``."""
    created = make_request(client_admin)
    requests.update_request(staff, created.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS), revision=0)
    old = Request.find(created.request_id)
    old.update(actions=[Request.shared_revision.remove()])  # as an item saved by the previous release
    assert Request.find(created.request_id).shared_revision is None
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    assert revision_on(page) == "1"
    requests.update_request(staff, created.request_id, requests.RequestChanges(memo="古い依頼のメモ"), revision=1)
    assert revision_on(web.text(web.get(f"/requests/{created.request_id}"))) == "1"
    assert web.post(f"/requests/{created.request_id}/withdraw", {"revision": revision_on(page), "confirmed": "1"}).status_code == 303
    assert Request.find(created.request_id).status == workflow.WITHDRAWN


def test_client_withdraws_and_confirms_completion(client, client_admin, staff):
    first = make_request(client_admin)
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{first.request_id}"))
    assert web.post(f"/requests/{first.request_id}/withdraw", {"revision": revision_on(page), "confirmed": "1"}).status_code == 303
    assert Request.find(first.request_id).status == workflow.WITHDRAWN
    second = make_request(client_admin)
    requests.update_request(staff, second.request_id, requests.RequestChanges(status=workflow.WAITING), revision=0)
    page = web.text(web.get(f"/requests/{second.request_id}"))
    assert "完了を確認する" in page
    web.post(f"/requests/{second.request_id}/confirm", {"revision": revision_on(page)})
    assert Request.find(second.request_id).status == workflow.DONE


def test_client_adds_and_removes_participants(client, client_admin, member):
    created = make_request(client_admin)
    web = signed_in(client, client_admin)
    page = web.text(web.get(f"/requests/{created.request_id}"))
    web.post(f"/requests/{created.request_id}/participants", {"participant_ids": member.user_id, "revision": revision_on(page)})
    assert Request.find(created.request_id).participant_ids == [member.user_id]
    page = web.text(web.get(f"/requests/{created.request_id}"))
    assert f"依頼関係者を「なし」から「{member.name}」に変更しました" in page
    web.post(f"/requests/{created.request_id}/participants", {"revision": revision_on(page)})
    assert Request.find(created.request_id).participant_ids == []


def test_the_later_of_two_simultaneous_saves_is_refused_and_nothing_is_overwritten(client, client_admin, staff):
    created = make_request(client_admin)
    first, second = signed_in(client, staff), signed_in(client, staff)
    page_one = first.text(first.get(f"/requests/{created.request_id}"))
    page_two = second.text(second.get(f"/requests/{created.request_id}"))
    first.post(f"/requests/{created.request_id}", {"status": workflow.IN_PROGRESS, "revision": revision_on(page_one)})
    late = second.post(f"/requests/{created.request_id}", {"status": workflow.ON_HOLD, "memo": "保留にします",
                                                           "revision": revision_on(page_two)})
    assert late.status_code == 409
    assert "ほかの人が先に変更しました" in second.text(late) and "保留にします" in second.text(late)
    assert Request.find(created.request_id).status == workflow.IN_PROGRESS


def test_comments_never_conflict_with_each_other(client_admin, staff):
    created = make_request(client_admin)
    barrier = threading.Barrier(12)

    def comment(index: int):
        barrier.wait()
        requests.add_comment(staff if index % 2 else client_admin, created.request_id, f"コメント {index}")

    threads = [threading.Thread(target=comment, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bodies = sorted(e.body for e in listings.view_request(staff, created.request_id).entries)
    assert bodies == sorted(f"コメント {i}" for i in range(12))


# 管理画面 and the inbox

def test_client_dashboard_groups_by_status_and_marks_what_changed(client, client_admin, member, staff):
    first = make_request(client_admin, title="一つ目の依頼")
    second = make_request(client_admin, title="二つ目の依頼")
    requests.update_request(staff, second.request_id, requests.RequestChanges(status=workflow.IN_PROGRESS), revision=0)
    web = signed_in(client, member)
    page = web.text(web.get("/"))
    assert page.index("新規") < page.index("一つ目の依頼") and "対応中" in page
    assert page.count("更新あり") >= 2  # the member has opened neither
    web.get(f"/requests/{first.request_id}")
    page = web.text(web.get("/"))
    first_row = page[page.index("一つ目の依頼") - 400: page.index("一つ目の依頼") + 200]
    assert "更新あり" not in first_row


def test_inbox_filters_and_unanswered_comments_stand_out(client, staff):
    sun, moon = make_company("サン商事"), make_company("ムーン工業")
    asker_sun, asker_moon = make_client(sun), make_client(moon)
    waiting = make_request(asker_sun, title="ロゴ画像の差し替え")
    answered = make_request(asker_moon, title="会社概要の住所変更")
    requests.add_comment(staff, answered.request_id, "承知しました")
    requests.update_request(staff, answered.request_id, requests.RequestChanges(assignee_id=staff.user_id), revision=0)
    web = signed_in(client, staff)
    page = web.text(web.get("/"))
    assert "受信箱" in page and "ロゴ画像の差し替え" in page and "会社概要の住所変更" in page
    row = page[page.index("ロゴ画像の差し替え") - 300: page.index("ロゴ画像の差し替え") + 300]
    assert "未返信" in row and "is-awaiting" in row
    assert "ロゴ画像" not in web.text(web.get(f"/?company={moon.company_id}"))
    by_assignee = web.text(web.get(f"/?assignee={staff.user_id}"))
    assert "会社概要の住所変更" in by_assignee and "ロゴ画像の差し替え" not in by_assignee
    by_keyword = web.text(web.get("/?q=ロゴ"))
    assert "<mark>ロゴ</mark>画像の差し替え" in by_keyword and "会社概要の住所変更" not in by_keyword
    unassigned = web.text(web.get(f"/?assignee=none&company={sun.company_id}"))
    assert "ロゴ画像の差し替え" in unassigned
    done = web.text(web.get(f"/?status=done&company={sun.company_id}"))
    assert "ロゴ画像の差し替え" not in done and waiting.request_id not in done


def test_lists_are_paginated(client, staff):
    company = make_company("ページ送りの会社")
    asker = make_client(company)
    titles = [make_request(asker, title=f"ページ送り {i:02d}").title for i in range(listings.PAGE_SIZE + 3)]
    web = signed_in(client, staff)
    first = web.text(web.get(f"/?company={company.company_id}"))
    cursor = re.search(r'after=([A-Za-z0-9_-]+)', first).group(1)
    second = web.text(web.get(f"/?company={company.company_id}&after={cursor}"))
    shown = set(re.findall(r"ページ送り \d\d", first)) | set(re.findall(r"ページ送り \d\d", second))
    assert shown == set(titles)
    assert web.get("/?after=not-a-cursor").status_code == 200  # a tampered cursor starts over


# JSON API, checked against its own OpenAPI document

def _schema(path: str, method: str, status: int) -> dict:
    operation = DOCUMENT["paths"][path][method]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": DOCUMENT["components"]}


def _check(response, path: str, method: str) -> dict:
    body = json.loads(response.body)
    jsonschema.validate(body, _schema(path, method, response.status_code))
    return body


def _api(web, method: str, path: str, body: dict | None = None):
    headers = web._headers({"Content-Type": "application/json", "X-CSRF-Token": _token(web)})
    call = getattr(web.client.http, method.lower())
    return call(path, headers=headers, body=json.dumps(body) if body is not None else None)


def _token(web) -> str:
    response = web.client.http.get("/api/session", headers=web._headers())
    return json.loads(response.body)["csrf_token"]


def test_api_round_trip_matches_the_openapi_document(client, client_admin, staff):
    assert json.loads(client.http.get("/api/openapi.json").body)["openapi"].startswith("3.1")
    web = signed_in(client, client_admin)
    _check(web.client.http.get("/api/session", headers=web._headers()), "/api/session", "get")
    created = _check(_api(web, "POST", "/api/requests", {"title": "API経由の依頼", "body": "本文"}), "/api/requests", "post")
    request_id = created["request"]["id"]
    listing = _check(web.client.http.get("/api/requests", headers=web._headers()), "/api/requests", "get")
    assert any(r["id"] == request_id for r in listing["requests"])
    comment = _check(_api(web, "POST", f"/api/requests/{request_id}/comments", {"body": "API <コメント>"}),
                     "/api/requests/{request_id}/comments", "post")
    assert "API &lt;コメント&gt;" in comment["html"]
    agency = signed_in(client, staff)
    changed = _check(_api(agency, "PATCH", f"/api/requests/{request_id}", {"revision": 0, "status": "in_progress",
                                                                            "memo": "内部"}),
                     "/api/requests/{request_id}", "patch")
    assert changed["request"]["status"] == "in_progress"
    stale = _check(_api(agency, "PATCH", f"/api/requests/{request_id}", {"revision": 0, "status": "on_hold"}),
                   "/api/requests/{request_id}", "patch")
    assert "ほかの人が先に変更しました" in stale["message"]
    read = _check(web.client.http.get(f"/api/requests/{request_id}", headers=web._headers()),
                  "/api/requests/{request_id}", "get")
    assert all(entry["kind"] != "memo" for entry in read["thread"])
    inbox = _check(agency.client.http.get("/api/requests?q=api経由", headers=agency._headers()), "/api/requests", "get")
    assert [r["id"] for r in inbox["requests"]] == [request_id]


def test_api_refuses_what_the_pages_refuse(client, client_admin):
    web = signed_in(client, client_admin)
    invalid = _check(_api(web, "POST", "/api/requests", {"title": "<b>x</b>", "body": ""}), "/api/requests", "post")
    assert set(invalid["errors"]) == {"title", "body"}
    extra = _api(web, "POST", "/api/requests", {"title": "t", "body": "b", "company_id": "someone-else"})
    assert extra.status_code == 400 and "company_id" in json.loads(extra.body)["message"]
    no_token = web.client.http.post("/api/requests", headers=web._headers({"Content-Type": "application/json"}),
                                    body=json.dumps({"title": "t", "body": "b"}))
    assert no_token.status_code == 403 and json.loads(no_token.body)["message"]
    anonymous = client.http.get("/api/requests")
    assert anonymous.status_code == 401
    _check(anonymous, "/api/requests", "get")


def test_another_company_cannot_read_comment_change_or_detect_a_request(client, client_admin):
    """Threat: a client reaching or learning of another company's request by ID (HTML or JSON)."""
    created = make_request(client_admin, title="極秘のリニューアル")
    outsider = signed_in(client, make_client(make_company("よその会社"), role=CLIENT_ADMIN))
    missing = "0" * 26
    for path in (f"/requests/{created.request_id}", f"/requests/{created.request_id}/comment",
                 f"/api/requests/{created.request_id}"):
        real, fake = outsider.get(path), outsider.get(path.replace(created.request_id, missing))
        assert real.status_code == fake.status_code == 404
        assert "極秘のリニューアル" not in outsider.text(real)
    assert _api(outsider, "POST", f"/api/requests/{created.request_id}/comments", {"body": "x"}).status_code == 404
    assert _api(outsider, "PATCH", f"/api/requests/{created.request_id}", {"revision": 0, "participant_ids": []}).status_code == 404
    listing = json.loads(outsider.client.http.get("/api/requests", headers=outsider._headers()).body)
    assert created.request_id not in json.dumps(listing)
