"""A way everywhere (issue 17): each side's menu, and a breadcrumb trail on every page below the top.

The walk takes every GET page of the app's own route table (tests/support/walk.py), for each
role and for a visitor, so a page added later is held to the same rules without editing this:

- a page below the top level (管理画面, ログイン) has <nav aria-label="パンくずリスト"> with an <ol>;
  its last item is marked aria-current="page" and reads as the page's <h1> (its subtitle,
  .panel__sub, left out); every earlier item is a link to a page whose own <h1> reads as the link;
- no link says a bare 「戻る」: each says where it goes;
- the menu offers a role exactly the entries of its side that the role may open.
"""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.support.accounts import anonymous, signed_in
from tests.support.walk import SIGNED_IN_ROLES, build_world, get_pages

ROLES = ("anonymous", *SIGNED_IN_ROLES)
TOP_PAGES = {"/", "/login"}
AGENCY_MENU = [("受信箱", "/"), ("クライアント管理", "/clients"), ("ポイント", "/points"), ("請求書", "/invoices"),
               ("担当者", "/staff"), ("監査ログ", "/audit"), ("設定", "/settings")]
CLIENT_MENU = [("管理画面", "/"), ("依頼一覧", "/requests"), ("ポイント", "/points"),
               ("月次保守レポート", "/reports"), ("請求書", "/invoices"), ("アカウント管理", "/accounts"),
               ("監査ログ", "/audit")]


class _Page(HTMLParser):
    """What this test reads of a page: the <h1>, the breadcrumb items, the menu's links, every link."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.h1: list[str] | None = None
        self.crumbs: list[dict] = []        # {"text", "href", "current"}
        self.crumb_lists = 0                # <ol> inside the breadcrumb nav
        self.menu: list[dict] = []          # {"text", "href", "current"}
        self.links: list[str] = []          # the text of every <a>
        self._stack: list[tuple[str, dict]] = []
        self._sub = 0
        self._link: dict | None = None

    def _inside(self, tag: str, **attributes) -> bool:
        return any(t == tag and all(a.get(k) == v for k, v in attributes.items()) for t, a in self._stack)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag in ("br", "img", "input", "meta", "link", "source", "hr", "wbr"):
            return
        self._stack.append((tag, attributes))
        if tag == "h1" and self.h1 is None:
            self.h1 = []
        if self._inside("h1") and "panel__sub" in attributes.get("class", "").split():
            self._sub += 1
        in_crumbs = self._inside("nav", **{"aria-label": "パンくずリスト"})
        if in_crumbs and tag == "ol":
            self.crumb_lists += 1
        if in_crumbs and tag == "li":
            self.crumbs.append({"text": "", "href": None, "current": attributes.get("aria-current")})
        if in_crumbs and self.crumbs and attributes.get("aria-current"):
            self.crumbs[-1]["current"] = attributes["aria-current"]
        if tag == "a":
            self._link = {"text": "", "href": attributes.get("href"), "current": attributes.get("aria-current")}
            if in_crumbs and self.crumbs:
                self.crumbs[-1]["href"] = attributes.get("href")
            if self._inside("nav", **{"aria-label": "メインメニュー"}):
                self.menu.append(self._link)

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, attributes = self._stack.pop()
            if open_tag == "span" and self._sub and self._inside("h1") is not None \
                    and "panel__sub" in attributes.get("class", "").split():
                self._sub -= 1
            if open_tag == "a" and self._link is not None:
                self.links.append(" ".join(self._link["text"].split()))
                self._link = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._inside("h1") and not self._sub and self.h1 is not None:
            self.h1.append(data)
        if self._inside("nav", **{"aria-label": "パンくずリスト"}) and self.crumbs:
            self.crumbs[-1]["text"] += data
        if self._link is not None:
            self._link["text"] += data

    @property
    def heading(self) -> str:
        return " ".join("".join(self.h1 or []).split())


def read(html: str) -> _Page:
    parsed = _Page()
    parsed.feed(html)
    for crumb in parsed.crumbs:
        crumb["text"] = " ".join(crumb["text"].split())
    return parsed


@pytest.fixture(scope="module")
def world(aws):
    return build_world()


def _agent(client, world, role):
    return anonymous(client) if role == "anonymous" else signed_in(client, world["people"][role])


@pytest.mark.parametrize("role", ROLES)
def test_every_page_below_the_top_has_a_trail_back_ending_in_its_heading(client, app, world, role):
    agent = _agent(client, world, role)
    pages = get_pages(app, agent, world["ids"])
    problems, checked = [], 0
    for path, html in pages.items():
        page = read(html)
        bare = [text for text in page.links if text == "戻る"]
        if bare:
            problems.append(f"{path}: a link says a bare 「戻る」")
        if path.split("?")[0] in TOP_PAGES:
            continue
        checked += 1
        if page.crumb_lists != 1 or len(page.crumbs) < 2:
            problems.append(f"{path}: no breadcrumb trail ({page.crumbs})")
            continue
        *parents, last = page.crumbs
        if last["current"] != "page" or last["href"] is not None:
            problems.append(f"{path}: the last item is not the page itself: {last}")
        if last["text"] != page.heading:
            problems.append(f"{path}: the trail ends in {last['text']!r}, the page's <h1> reads {page.heading!r}")
        for crumb in parents:
            if not crumb["href"] or crumb["current"]:
                problems.append(f"{path}: {crumb['text']!r} is not a link back")
                continue
            answer = agent.get(crumb["href"])
            if answer.status_code != 200:
                problems.append(f"{path}: {crumb['text']!r} leads to {crumb['href']} ({answer.status_code})")
            elif read(agent.text(answer)).heading != crumb["text"]:
                problems.append(f"{path}: {crumb['text']!r} leads to a page headed "
                                f"{read(agent.text(answer)).heading!r}")
    assert checked >= (1 if role == "anonymous" else 5)  # a visitor: パスワードの再設定
    assert problems == []


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_the_menu_offers_exactly_the_entries_of_its_side_the_role_may_open(client, world, role):
    agent = _agent(client, world, role)
    side = AGENCY_MENU if role.startswith("agency") else CLIENT_MENU
    may_open = [(label, href) for label, href in side if agent.get(href).status_code == 200]
    home = read(agent.text(agent.get("/")))
    assert [(link["text"].strip(), link["href"]) for link in home.menu] == may_open
    assert len(may_open) >= 3
    # The page's own entry is the current page; on a page inside a section, that section's entry.
    assert [link["current"] for link in home.menu] == ["page"] + [None] * (len(may_open) - 1)


def test_the_menu_marks_the_section_a_page_sits_in(client, world):
    agent = signed_in(client, world["people"]["agency_admin"])
    company = world["company"]
    for path, entry, current in [("/clients", "クライアント管理", "page"),
                                 (f"/clients/{company.company_id}", "クライアント管理", "true"),
                                 (f"/clients/{company.company_id}/statement", "クライアント管理", "true"),
                                 ("/settings/urgency", "設定", "true"),
                                 (f"/requests/{world['request'].request_id}", "受信箱", "true")]:
        menu = read(agent.text(agent.get(path))).menu
        assert [(link["text"].strip(), link["current"]) for link in menu if link["current"]] == [(entry, current)], path


def test_the_forced_password_change_offers_no_way_around_it(client, world):
    """At the first login nothing else is reachable: no menu, no trail on the パスワード変更 page."""
    from tests.support.factories import make_user
    user = make_user(name="初回 太郎", must_change_password=True)
    agent = signed_in(client, user, dashboard=False)
    page = read(agent.text(agent.get("/password")))
    assert page.heading == "パスワード変更"
    assert page.menu == [] and page.crumbs == []


def test_the_company_page_leads_with_its_open_requests_and_accounts(client, world):
    """What the agency does most on a company's page comes first: its open requests (each a link
    to the request) and its accounts; the contract and the points after them."""
    agent = signed_in(client, world["people"]["agency_staff"])
    html = agent.text(agent.get(f"/clients/{world['company'].company_id}"))
    order = [html.find(f'<h2 id="{name}-title"') for name in ("open", "accounts", "balance", "contract")]
    assert -1 not in order and order == sorted(order), order
    request = world["request"]
    opened = html[order[0]:order[1]]
    assert f'href="/requests/{request.request_id}"' in opened and request.title in opened


def test_a_confirmation_page_has_its_trail_and_says_where_its_link_leads(client, world):
    """Without JavaScript, 取り下げる answers with a page (web/confirmations.py): it sits below the
    request, and its way back names the request instead of a bare 「戻る」."""
    import re

    from tests.support.factories import make_request
    asker = world["people"]["client_admin"]
    created = make_request(asker, title="確認ページの件名")
    agent = signed_in(client, asker)
    path = f"/requests/{created.request_id}"
    revision = re.search(r'name="revision" value="(\d+)"', agent.text(agent.get(path))).group(1)
    page = read(agent.text(agent.post(f"{path}/withdraw", {"revision": revision})))
    label = f"#{created.number} 確認ページの件名"
    assert [(c["text"], c["href"]) for c in page.crumbs] == [("管理画面", "/"), (label, path), (page.heading, None)]
    assert page.heading == "この依頼を取り下げますか?"
    assert f"{label}に戻る" in page.links and "戻る" not in page.links
