"""Line breaks and invisible format characters through every single-line field of every form.

Threat: a one-line field (a 件名, a name, a company or sender name, a menu or estimate line
name...) that stores U+2028, U+0085, VT or a lone CR breaks the mail headers built from it, and
one that stores a bidi override or a zero-width character shows something other than it holds.
The forms are read from every page each role can open, so an ``<input>`` merged later is
covered. Each value is either refused with the typed text kept in the form, or stored cleaned:
no page shown afterwards holds the character next to the text that carried it.
"""
from __future__ import annotations

import pytest

import html as markup
import uuid
from urllib.parse import urlsplit

from tests.support.pages import field_values, forms
from tests.support.walk import SIGNED_IN_ROLES, agency_settings_kept, build_world, get_pages, submit


@pytest.fixture(scope="module")
def world(aws):
    """A world of this file's own: the walk posts hundreds of comments and changes, which would make
    every later page of the shared request (its thread, its mail list) slower for the rest of the suite."""
    return build_world()


# Each value carries a marker (so a page showing it can be found) and the pairs of characters
# that must never be shown together once stored: a visible character next to the hostile one.
VALUES = [
    ("行\u2028分\x0bけ\x85{m}", ["行\u2028", "分\x0b", "け\x85"]),
    ("改\r行{m}", ["改\r"]),
    ("右\u202e左\u2066{m}\u200b", ["右\u202e", "左\u2066", "\u200b"]),
]
# What a field gets while another field of its form carries the value: valid where the name is
# known, so the form can be accepted and the value stored.
FILLERS = {"name": "山田 太郎", "kana": "ヤマダ タロウ", "phone": "03-1234-5678", "title": "件名",
           "body": "内容です", "agency_name": "制作会社", "mail_sender_name": "制作会社", "points": "1"}
NUMBER_FIELDS = ("points", "qty_", "points_")  # estimate rows and the menu: a valid number

def _filler(name: str) -> str:
    if name == "email":
        return f"{uuid.uuid4().hex[:10]}@example.com"
    if name == "user_id":
        return f"line{uuid.uuid4().hex[:10]}"
    if name.startswith(NUMBER_FIELDS):
        return "1"
    return FILLERS.get(name, "テスト")


def test_every_single_line_field_refuses_or_cleans_line_breaks_and_format_characters(app, sign_in, world):
    """Every role's forms in one walk: some roles' one-line fields (an estimate row's name) only
    store with a whole row chosen, so whether anything was stored is judged over the walk."""
    problems, tried, stored = [], 0, 0
    with agency_settings_kept():
        for role in SIGNED_IN_ROLES:
            found = _walk(app, sign_in, world, role, problems)
            tried, stored = tried + found[0], stored + found[1]
    assert problems == []
    assert tried > 0 and stored > 0, (tried, stored)  # some values were accepted, stored and shown


def _walk(app, sign_in, world, role: str, problems: list) -> tuple[int, int]:
    agent = sign_in(role)
    tried = stored = 0
    pages = get_pages(app, agent, world["ids"])
    targets = {}
    for path, page in pages.items():
        for form in forms(page):
            inputs = list(dict.fromkeys(f.name for f in form.fields if f.kind == "text"))
            if form.method == "post" and inputs and form.action not in ("/logout",):
                targets.setdefault((form.action, tuple(inputs)), (path, form))
    assert targets, f"no form with a one-line field was found for {role}"
    for (action, names), (path, form) in targets.items():
        texts = [f.name for f in form.fields if f.kind in ("text", "textarea")]
        for name in names:
            for template, forbidden in VALUES:
                marker = uuid.uuid4().hex[:8]
                value = template.format(m=marker)
                values = {other: _filler(other) for other in texts if other != name and not _has_value(form, other)}
                values[name] = value
                response = submit(agent, path, form, values)
                tried += 1
                where = (role, action, name, ascii(value), response.status_code)
                if response.status_code >= 500:
                    problems.append(("server error", where))
                    continue
                if response.status_code in (400, 409):
                    kept = field_values(agent.text(response), name)
                    if kept and not any(marker in v for v in kept):
                        problems.append(("input lost", where))
                    continue
                if response.status_code == 303:
                    location = response.headers["location"]
                    if urlsplit(location).path == "/login":
                        agent = sign_in(role)
                        continue
                    for shown_path in (location, path):
                        shown = markup.unescape(agent.text(agent.get(shown_path)))
                        stored += marker in shown
                        bad = [ascii(pair) for pair in forbidden if pair in shown]
                        if bad:
                            problems.append(("stored uncleaned", where, shown_path, bad))
    return tried, stored


def _has_value(form, name: str) -> bool:
    return any(f.name == name and f.value for f in form.fields)
