"""The one Jinja2 environment for pages and e-mails. Autoescape is on for everything."""
from __future__ import annotations

import hashlib
import posixpath
import re

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, ModuleLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from datetime import date, datetime

from chalicelib.clock import JST, format_jst  # noqa: F401  (templating.JST: pages and tests format with it)

# In the repo and in the Lambda package alike, templates/ and static/ sit beside chalicelib/
# (the package gets them through the vendor/ symlinks).
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
# The Lambda package also has the templates compiled to Python modules, with bytecode (`make
# package`, ops/bytecode.py): the first request of a container reads each page's compiled module
# instead of parsing and compiling its template. Not in the repo: here, templates are read as
# they are edited.
COMPILED_DIR = ROOT / "templates_compiled"
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


# One way to write a date, and a moment, on every page and in every mail (issue 17): the
# templates' filters `date` and `jst` take no pattern, so no template can invent another.
DATE_FORMAT = "%Y/%m/%d"
DATETIME_FORMAT = DATE_FORMAT + " %H:%M"


def format_moment(moment: datetime | None) -> str:
    """The `jst` filter: a moment in Japan's time, "2026/12/02 14:05" ("" for none)."""
    return format_jst(moment, DATETIME_FORMAT)


def format_date(day: date | datetime | str | None) -> str:
    """The `date` filter: a day, "2026/12/02" ("" for none). A stored "YYYY-MM-DD" is read as the
    day it names; a moment is the day it is in Japan."""
    if day is None or day == "":
        return ""
    if isinstance(day, datetime):
        return format_jst(day, DATE_FORMAT)
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return day.strftime(DATE_FORMAT)


_CELL = re.compile(r"<td(?=[\s>])([^>]*)>")
_COLSPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""")


def label_cells(row: str, columns: list[tuple[str, str]]) -> Markup:
    """A table row's HTML with each ``<td>`` given its column's header as ``data-label``, the label
    a collapsed table (cards, on phones) shows beside the value. ``columns`` are the table's
    (label, kind) pairs (templates/_table.html); a "hidden" column (links) gets no label.

    The rows come from our own templates (``_table.html`` callers), one ``<td>`` per column or
    spanning ``colspan`` columns, never a table inside a cell."""
    labels = ["" if kind == "hidden" else label for label, kind in columns]
    column = 0

    def label(match: re.Match) -> str:
        nonlocal column
        attributes = match.group(1)
        text = labels[column] if column < len(labels) else ""
        span = _COLSPAN.search(attributes)
        column += int(span.group(1)) if span else 1
        if not text or "data-label" in attributes:
            return match.group(0)
        return Markup('<td data-label="{0}"{1}>').format(text, Markup(attributes))

    return Markup(_CELL.sub(label, str(row)))


@lru_cache(maxsize=1)
def environment() -> Environment:
    return configured(ModuleLoader(COMPILED_DIR) if COMPILED_DIR.is_dir() else FileSystemLoader(TEMPLATES_DIR))


def configured(loader) -> Environment:
    """The pages' environment reading templates through ``loader`` (ops/bytecode.py compiles with it)."""
    env = Environment(
        loader=loader,
        # Every template, including .txt mails, is escaped; text mails unescape nothing because
        # they are rendered with autoescape off explicitly in render_text().
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        # No trim_blocks/lstrip_blocks: inside a tag they glue attributes together
        # ("requiredaria-describedby=...") wherever an {% if %} starts a line.
    )
    env.globals["static_url"] = static_url
    env.filters["jst"] = format_moment
    env.filters["date"] = format_date
    env.filters["linkify"] = linkify
    env.filters["label_cells"] = label_cells
    return env


def render(template: str, /, **context: object) -> str:
    return environment().get_template(template).render(**context)


@lru_cache(maxsize=1)
def _text_environment() -> Environment:
    # Plain-text mail is not HTML: escaping would show "&amp;" to the reader. Compiled templates
    # have the escaping built in, so mail reads the sources.
    return environment().overlay(autoescape=False, loader=FileSystemLoader(TEMPLATES_DIR))


def render_text(template: str, /, **context: object) -> str:
    return _text_environment().get_template(template).render(**context)
