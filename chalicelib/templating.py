"""The one Jinja2 environment for pages and e-mails. Autoescape is on for everything."""
from __future__ import annotations

import hashlib
import posixpath
import re

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from chalicelib.clock import JST, format_jst  # noqa: F401  (templating.JST: pages and tests format with it)

# In the repo and in the Lambda package alike, templates/ and static/ sit beside chalicelib/
# (the package gets them through the vendor/ symlinks).
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


@lru_cache(maxsize=None)
def static_digest(name: str) -> str:
    """A short hash of a static file's content, so its URL changes whenever the file does.

    A JS module is hashed as served (static_text): its imports' URLs, and so their hashes, are
    part of it, and a change to any module changes the URL of every module that imports it.
    """
    data = static_text(name).encode() if name.endswith(".js") else (STATIC_DIR / name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_url(name: str) -> str:
    """`css/app.css` -> `/static/css/app.<hash>.css`."""
    stem, dot, ext = name.rpartition(".")
    return f"/static/{stem}.{static_digest(name)}{dot}{ext}"


# `from "./x.js"`, `import "./x.js"` and `import("./x.js")`: relative specifiers only.
_RELATIVE_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.\.?/[^"'\s]+\.js)\2""")


def static_text(name: str) -> str:
    """A static file as served. ES modules import each other by relative path (`./memo-editor.js`),
    which the browser would fetch unhashed, and so stale from a year-long cache after a deploy:
    a JS file's relative imports are served as the hashed URLs of their files (no build step).
    An import cycle between modules cannot be hashed (RecursionError at the first page).
    """
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    if not name.endswith(".js"):
        return text
    folder = posixpath.dirname(name)
    return _RELATIVE_IMPORT.sub(
        lambda m: m[1] + m[2] + static_url(posixpath.normpath(posixpath.join(folder, m[3]))) + m[2], text)


_URL = re.compile(r"https?://[^\s<>\"'\u3000-\u303f\uff01-\uff5e]+")


def linkify(text: str) -> Markup:
    """User text as HTML: everything escaped, line breaks kept, http(s) links made clickable."""
    parts, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,)")
        end = match.start() + len(url)
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{0}" rel="noopener noreferrer nofollow" target="_blank">{0}</a>').format(url))
        last = end
    parts.append(escape(text[last:]))
    return Markup("").join(parts).replace("\n", Markup("<br>\n"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # Every template, including .txt mails, is escaped; text mails unescape nothing because
        # they are rendered with autoescape off explicitly in render_text().
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        # No trim_blocks/lstrip_blocks: inside a tag they glue attributes together
        # ("requiredaria-describedby=...") wherever an {% if %} starts a line.
    )
    env.globals["static_url"] = static_url
    env.filters["jst"] = format_jst
    env.filters["linkify"] = linkify
    return env


def render(template: str, /, **context: object) -> str:
    return environment().get_template(template).render(**context)


@lru_cache(maxsize=1)
def _text_environment() -> Environment:
    # Plain-text mail is not HTML: escaping would show "&amp;" to the reader.
    env = environment().overlay(autoescape=False)
    return env


def render_text(template: str, /, **context: object) -> str:
    return _text_environment().get_template(template).render(**context)
