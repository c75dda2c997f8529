"""The ES modules a page loads, as the browser fetches them: every one by a hashed, immutable URL.

Threat: after a deploy, a browser runs a module from its year-long cache beside fresh ones (the
page's <script> is new, a module it imports is old), because an import named an unhashed URL, or a
URL that is not served at all (a 404 leaves the editor dead without a word).
"""
from __future__ import annotations

import re

from tests.support.agent import Agent
from tests.support.factories import PASSWORD, make_client, make_company

SCRIPT = re.compile(r'<script type="module" src="([^"]+)"></script>')
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""")
HASHED = re.compile(r"^/static/js/[A-Za-z0-9_-]+\.[0-9a-f]{12}\.js$")


def test_the_new_request_page_loads_every_module_by_a_hashed_immutable_url(client):
    agent = Agent(client)
    agent.login(make_client(make_company("株式会社モジュール")).user_id, PASSWORD)
    page = agent.text(agent.get("/requests/new"))
    scripts = SCRIPT.findall(page)
    assert any("/memo." in src for src in scripts), scripts
    seen, pending = set(), list(scripts)
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        assert HASHED.match(url), url
        response = agent.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/javascript"), url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", url
        pending.extend(IMPORT.findall(response.body.decode("utf-8")))
    names = {url.rsplit("/", 1)[1].split(".", 1)[0] for url in seen}
    assert {"memo", "memo-editor", "memo-paint", "memo-geometry", "memo-drawing", "memo-history"} <= names, names
