"""Every refused form opens at one error summary that names each field's error and links to it.

Threat (to the user's work): on a long page (the contract form sits ~1,500 px below its banner)
a refused form came back showing only 「入力内容を確認してください。」 at the top, and the user
could not find what to fix. The forms are read from every page each role can open and sent with
their fields emptied, so a form or field merged later is covered: each answer that shows a field
error must carry the summary (templates/_error_summary.html) first in the main content, before
any form; one link per field error, to an element of the page that is (or holds) the field,
named by that field's label (or the legend and heading around it).
"""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.support.accounts import signed_in
from tests.support.pages import forms
from tests.support.walk import SIGNED_IN_ROLES, agency_settings_kept, build_world, get_pages, submit

CONTAINERS = {"fieldset", "section", "form", "details", "div", "main", "article", "aside"}
TITLES = {"legend", "h1", "h2", "h3", "summary"}
FIELDS = {"input", "select", "textarea"}


class _Page(HTMLParser):
    """What the check needs of a page: each id's element and what names it, the summary's links,
    the field errors shown, and where the summary and the first form stand in <main>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, dict] = {}        # id -> {"tag", "field": bool, "context": [titles around it]}
        self.labels: dict[str, str] = {}      # for= -> label text
        self.links: list[dict] = []           # the summary's links: href, field label, text
        self.field_errors: list[str] = []     # ids of the shown p.field__error
        self.order: list[str] = []            # "summary" and "form" as they come in <main>
        self._stack: list[dict] = []          # open containers, each with the titles read in it
        self._title: list | None = None
        self._label: tuple[str, list] | None = None
        self._link: dict | None = None
        self._in_main = False
        self._summary_depth = None
        self._field_of_id: str | None = None  # the id'd container whose first field is looked for

    def _context(self) -> list[str]:
        return [title for frame in self._stack for title in frame["titles"]]

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "main":
            self._in_main = True
        if "data-error-summary" in a and self._in_main:
            self.order.append("summary")
        if tag == "form" and self._in_main and a.get("method", "get").lower() == "post":
            self.order.append("form")
        if a.get("id"):
            self.ids[a["id"]] = {"tag": tag, "field": tag in FIELDS and a.get("type") != "hidden",
                                 "context": self._context(), "holds_field": False}
        if tag in FIELDS and a.get("type") != "hidden":
            for frame in self._stack:
                if frame.get("id"):
                    self.ids[frame["id"]]["holds_field"] = True
        if tag == "p" and "field__error" in a.get("class", "").split() and "hidden" not in a and a.get("id"):
            self.field_errors.append(a["id"])
        if tag in CONTAINERS:
            self._stack.append({"tag": tag, "titles": [], "id": a.get("id")})
        if tag in TITLES:
            self._title = []
        if tag == "label" and a.get("for"):
            self._label = (a["for"], [])
        if tag == "a" and a.get("data-error-field") is not None:
            self._link = {"href": a.get("href", ""), "field": "", "text": [], "in_field": False}
        if tag == "span" and self._link is not None and "error-summary__field" in a.get("class", ""):
            self._link["in_field"] = True

    def handle_data(self, data):
        if self._title is not None:
            self._title.append(data)
        if self._label is not None:
            self._label[1].append(data)
        if self._link is not None:
            self._link["text"].append(data)
            if self._link["in_field"]:
                self._link["field"] += data

    def handle_endtag(self, tag):
        if tag in TITLES and self._title is not None and self._stack:
            self._stack[-1]["titles"].append("".join(self._title).strip())
            self._title = None
        if tag == "label" and self._label is not None:
            self.labels[self._label[0]] = "".join(self._label[1]).strip()
            self._label = None
        if tag == "span" and self._link is not None:
            self._link["in_field"] = False
        if tag == "a" and self._link is not None:
            self._link["text"] = "".join(self._link["text"]).strip()
            self.links.append(self._link)
            self._link = None
        if tag in CONTAINERS and self._stack:
            # Tolerant of markup the parser reads differently: close up to the matching container.
            while self._stack and self._stack.pop()["tag"] != tag:
                pass
        if tag == "main":
            self._in_main = False


def problems_of(html: str) -> list[str]:
    """What is wrong with a refused form's page, as the docstring of this module says."""
    page = _Page()
    page.feed(html)
    found = []
    if not page.field_errors:
        return found
    if "summary" not in page.order:
        return ["no error summary"]
    if page.order[0] != "summary":
        found.append("the summary comes after a form")
    if len(page.links) != len(page.field_errors):
        found.append(f"{len(page.links)} links for {len(page.field_errors)} field errors")
    for link in page.links:
        target = page.ids.get(link["href"].removeprefix("#"))
        if not link["href"].startswith("#") or target is None:
            found.append(f"{link['text']}: links to {link['href']}, not an element of the page")
            continue
        if not (target["field"] or target["holds_field"]):
            found.append(f"{link['text']}: {link['href']} is not a field and holds none")
        name = link["field"].strip()
        if not name:
            found.append(f"{link['text']}: names no field")
            continue
        # Each word of the name is read on the page around the field: its label, its legend, its
        # section's heading (「チャージ ポイント」: the heading チャージ, the label ポイント).
        around = [page.labels.get(link["href"][1:], ""), *target["context"]]
        for word in name.split():
            if not any(word in text for text in around):
                found.append(f"{link['text']}: 「{word}」 is not in the label or titles around {link['href']} ({around})")
    return found


def test_the_check_sees_what_it_is_meant_to():
    """The check is not blind: a bare alert, a link to nowhere, a wrong name, a summary after the form."""
    error = '<p class="field__error" id="title-error">入力してください。</p>'
    field = '<form method="post"><label for="title">件名</label><input id="title" name="title">' + error + '</form>'
    assert problems_of(f'<main><div class="alert" role="alert">x</div>{field}</main>') == ["no error summary"]

    def summary(href: str, name: str) -> str:
        return (f'<div data-error-summary id="error-summary"><ul><li><a href="{href}" data-error-field="title">'
                f'<span class="error-summary__field">{name}</span>: 入力してください。</a></li></ul></div>')

    assert problems_of(f"<main>{summary('#title', '件名')}{field}</main>") == []
    assert problems_of(f"<main>{summary('#nowhere', '件名')}{field}</main>")
    assert problems_of(f"<main>{summary('#title', '依頼内容')}{field}</main>")
    assert problems_of(f"<main>{field}{summary('#title', '件名')}</main>") == ["the summary comes after a form"]


@pytest.fixture(scope="module")
def world(aws):
    return build_world()


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_every_refused_form_opens_at_a_summary_linking_each_error_to_its_field(client, app, world, role):
    agent = signed_in(client, world["people"][role])
    targets = {}
    for path, html in get_pages(app, agent, world["ids"]).items():
        for form in forms(html):
            texts = [f.name for f in form.fields if f.kind in ("text", "textarea", "password")]
            if form.method == "post" and texts and form.action != "/logout":
                targets.setdefault((form.action, tuple(texts)), (path, form, texts))
    problems, refused = [], 0
    with agency_settings_kept():
        for (action, _), (path, form, texts) in targets.items():
            response = submit(agent, path, form, {name: "" for name in texts})
            if response.status_code not in (400, 409):
                continue
            refused += 1
            problems += [f"{role} {action} (from {path}): {problem}" for problem in problems_of(agent.text(response))]
    assert refused >= 1, f"no form of {role} was refused with its fields emptied"
    assert problems == []
