"""One way to write a date on every page and in every mail (issue 17): 2026/12/02, and a moment
2026/12/02 14:05 in Japan's time.

Templates write dates only through the `date` and `jst` filters (chalicelib/templating.py),
which take no pattern; this reads every template, so one added later is held to it too.
tests/integration/test_date_format.py reads the rendered pages and mails.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from jinja2 import TemplateError

from chalicelib import templating

TEMPLATES = sorted(p for p in templating.TEMPLATES_DIR.rglob("*") if p.is_file())
# A value that holds a date or a moment: created_at, starts_on, due_date, locked_until, day.
DATED = re.compile(r"\b\w*(?:_at|_on|_date|until)\b|\.at\b|\bday\b")
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)


def _name(path) -> str:
    return str(path.relative_to(templating.TEMPLATES_DIR))


def test_the_filters_write_the_one_format():
    moment = datetime(2026, 12, 2, 5, 5, tzinfo=timezone.utc)
    assert templating.format_moment(moment) == "2026/12/02 14:05"
    assert templating.format_moment(datetime(2026, 12, 31, 15, 0)) == "2027/01/01 00:00"  # naive is UTC
    assert templating.format_date("2026-12-04") == "2026/12/04"
    assert templating.format_date(date(2027, 1, 1)) == "2027/01/01"
    assert templating.format_date(datetime(2026, 12, 31, 15, 0, tzinfo=timezone.utc)) == "2027/01/01"  # the day in Japan
    assert templating.format_date(None) == templating.format_moment(None) == ""


def test_a_template_cannot_choose_another_format():
    env = templating.environment()
    with pytest.raises((TypeError, TemplateError)):
        env.from_string('{{ at|jst("%m/%d") }}').render(at=datetime(2026, 1, 2, tzinfo=timezone.utc))
    with pytest.raises((TypeError, TemplateError)):
        env.from_string('{{ day|date("%Y年%m月%d日") }}').render(day="2026-01-02")


def _hand_written_dates(source: str) -> list[str]:
    """Where ``source`` (a template) writes a date otherwise than through |date or |jst."""
    problems = []
    if "strftime" in source:
        problems.append("strftime: a date formatted by hand")
    if re.search(r"""\.replace\(\s*["']-["']""", source):
        problems.append(".replace('-', …): an ISO date rewritten by hand")
    if re.search(r"\|\s*jst\s*\(", source):
        problems.append("|jst(…): a pattern of its own")
    for match in EXPRESSION.finditer(source):
        expression = match.group(1)
        code = re.sub(r'"[^"]*"|\'[^\']*\'', '""', expression)  # field names in strings are not values
        code = re.sub(r"\w+(\.\w+)*\.weekday\(\)", "0", code)  # the day of the week, 「(水)」, is not a date
        if not DATED.search(code) or re.search(r"\|\s*(jst|date)\b", expression):
            continue
        # Machine-readable values are ISO on purpose: <time datetime="…">, <input type="date" value="…">.
        if re.search(r'datetime="$', source[:match.start()]) and expression.strip().endswith("isoformat()"):
            continue
        if re.search(r'type="date"[^<>]*value="$', source[max(0, match.start() - 200):match.start()]):
            continue
        problems.append(f"{{{{{expression}}}}} without |date or |jst")
    return problems


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_every_template_writes_dates_through_the_filters(path):
    assert _hand_written_dates(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("written", [
    '<span>更新 {{ r.last_activity_at|jst("%m/%d %H:%M") }}</span>',
    '<td>{{ contract.starts_on.replace("-", "/") }}</td>',
    '<time>{{ day.strftime("%Y/%m/%d") }}</time>',
    "公開希望日: {{ due_date }}",
    '<time datetime="{{ entry.at }}">{{ entry.at.isoformat() }}</time>',
])
def test_the_template_check_sees_dates_written_by_hand(written):
    """The check is not blind: each way templates wrote dates before issue 17 is caught."""
    assert _hand_written_dates(written) != []
