"""Every page at a desktop's 1280x800 and a phone's 390x844, as every role sees it, in Chromium.

Like the accessibility walk (test_accessibility.py), this walks every GET page of the app's own
route table with real ids, for each role and for a visitor who is not signed in, so pages added
later are covered without editing it. At each size a page fails when (issue 17):

- it scrolls sideways (the document is wider than the window);
- a table shows a figure (any cell with a digit) where its column header is not visibly beside
  it: once a table collapses into cards (its header row hidden), each such cell must show its
  column's header as its ``::before`` label, and each figure of a footer row (合計) must sit on
  the line of its row header; a card's cells must come in the desktop's column order, top to
  bottom, and every row of a table must be as wide as the table;
- a figure in a table (points, yen, counts) is not right-aligned in tabular figures;
- a control's target is under 24x24 CSS px (WCAG 2.2 2.5.8), unless one of that criterion's
  exceptions applies: a link inside a sentence (inline, among other text), a checkbox or radio
  whose label is the target, or enough space (a 24 px circle on its centre touches no other
  target, nor another small target's circle);
- the signed-in name in the header is not shown whole (missing, hidden, or cut by an ancestor
  that clips it or by text-overflow);
- Japanese line breaking is not strict: a probe line placed in the page's <main> puts 「ー」 at
  the start of a line;
- at the phone's size, axe-core finds a serious or critical violation (the accessibility walk
  audits the desktop's size).

With IRAI_SCREENSHOTS set to a folder (``make screenshots``), every page is also saved there at
both sizes for each role, before it is checked.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.browser import DESKTOP, axe_violations, every_page, log_in, new_context, visit_pages
from tests.support.walk import SIGNED_IN_ROLES, build_world

ROLES = ("anonymous", *SIGNED_IN_ROLES)
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = os.environ.get("IRAI_SCREENSHOTS")

# One evaluation per page: every check, each problem as one line.
CHECKS = r"""(name) => {
  const problems = [];
  const html = document.documentElement;
  const say = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].join('.');
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ');
    return text ? `${s} "${text.slice(0, 30)}"` : s;
  };
  // Rendered and not visually hidden (the 1px clip of .visually-hidden, a skip link off screen,
  // the content of a closed <details> such as the phone's menu, which keeps its boxes in layout).
  const shown = (el) => {
    if (!el.getClientRects().length) return false;
    if (!el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true })) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    if (r.right <= 0 || r.bottom <= 0 || r.left >= Math.max(html.scrollWidth, innerWidth)) return false;
    for (let a = el; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.clipPath && s.clipPath !== 'none' || s.clip && s.clip !== 'auto') return false;
    }
    return true;
  };

  // 1. No sideways scrolling.
  if (html.scrollWidth > html.clientWidth) {
    const wide = [...document.body.querySelectorAll('*')].filter((el) => shown(el)
      && el.getBoundingClientRect().right > html.clientWidth + 0.5).slice(-3).map(say);
    problems.push(`scrolls sideways: ${html.scrollWidth} > ${html.clientWidth} px (${wide.join(', ')})`);
  }

  // 2. Figures in tables: labelled, in order, right-aligned in tabular figures.
  const FIGURE = /\d/;
  const NUMBER = /^[+\-−]?[\d,.]+(\s*(pt|件|円))?$/;
  for (const table of document.querySelectorAll('main table')) {
    if (!shown(table)) continue;
    const head = table.tHead;
    const headers = [];
    if (head && head.rows.length) {
      for (const th of head.rows[0].cells) for (let k = 0; k < th.colSpan; k++) headers.push(th.textContent.trim());
    }
    const collapsed = head && !shown(head.rows[0]);
    const width = table.getBoundingClientRect().width;
    for (const row of table.rows) {
      if (row.parentElement === head || !shown(row)) continue;
      const rowBox = row.getBoundingClientRect();
      if (Math.abs(rowBox.width - width) > 1) {
        problems.push(`table row ${rowBox.width.toFixed(0)} px wide in a table of ${width.toFixed(0)} px: ${say(row)}`);
      }
      let column = 0, previous = null;
      const rowHeader = [...row.cells].find((c) => c.tagName === 'TH' && shown(c));
      for (const cell of row.cells) {
        const index = column;
        column += cell.colSpan;
        if (!shown(cell)) continue;
        const box = cell.getBoundingClientRect();
        if (collapsed && previous && (box.top < previous.top - 1
            || (Math.abs(box.top - previous.top) <= 1 && box.left < previous.left))) {
          problems.push(`card out of the desktop's column order: "${headers[index]}" before the column ahead of it: ${say(row)}`);
        }
        previous = box;
        if (cell.tagName !== 'TD') continue;
        const text = cell.innerText.trim();
        // A cell that is one link is a name leading to its page (a company called 「111」 is no figure).
        const named = cell.children.length === 1 && cell.children[0].tagName === 'A'
          && cell.children[0].innerText.trim() === text;
        if (NUMBER.test(text) && !named) {
          const style = getComputedStyle(cell);
          if (!style.fontVariantNumeric.includes('tabular-nums')) problems.push(`figure not in tabular figures: ${say(cell)}`);
          if (!['right', 'end'].includes(style.textAlign)) problems.push(`figure not right-aligned (${style.textAlign}): ${say(cell)}`);
        }
        if (!collapsed || !FIGURE.test(text)) continue;
        if (row.parentElement.tagName === 'TBODY') {
          const label = getComputedStyle(cell, '::before').content;
          if (label !== JSON.stringify(headers[index])) {
            problems.push(`figure without its label "${headers[index]}" (shows ${label}): ${say(cell)}`);
          }
        } else {
          const th = rowHeader && rowHeader.getBoundingClientRect();
          if (!th || th.bottom <= box.top || th.top >= box.bottom) problems.push(`figure without its row header beside it: ${say(row)}`);
        }
      }
    }
  }

  // 3. Target size (WCAG 2.2 2.5.8, 24x24 CSS px, with its exceptions).
  const CONTROLS = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  const targets = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (!shown(el)) continue;
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) target = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el;
    targets.push(target);
  }
  const unique = [...new Set(targets)];
  const boxes = new Map(unique.map((t) => [t, t.getBoundingClientRect()]));
  const small = (t) => boxes.get(t).width < 24 - 0.01 || boxes.get(t).height < 24 - 0.01;
  const centre = (r) => [r.left + r.width / 2, r.top + r.height / 2];
  const distance = ([x, y], r) => Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const inSentence = (t) => {
    if (getComputedStyle(t).display !== 'inline') return false;
    let block = t.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    return block && block.innerText.trim().length > t.innerText.trim().length + 2;
  };
  for (const t of unique) {
    if (!small(t) || inSentence(t)) continue;
    const c = centre(boxes.get(t));
    const crowded = unique.find((o) => o !== t && !o.contains(t) && !t.contains(o)
      && (distance(c, boxes.get(o)) < 12 || (small(o) && !inSentence(o) && Math.hypot(...centre(boxes.get(o)).map((v, i) => v - c[i])) < 24)));
    if (crowded) {
      const r = boxes.get(t);
      problems.push(`target ${r.width.toFixed(0)}x${r.height.toFixed(0)} px, under 24x24 and next to ${say(crowded)}: ${say(t)}`);
    }
  }

  // 4. The signed-in name, whole, in the header.
  if (name) {
    const banner = document.querySelector('header, [role=banner]');
    let node = null;
    if (banner) {
      const walker = document.createTreeWalker(banner, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) if (walker.currentNode.data.includes(name)) { node = walker.currentNode; break; }
    }
    if (!node) problems.push(`the signed-in name "${name}" is not in the header`);
    else if (!shown(node.parentElement)) problems.push(`the signed-in name "${name}" is not shown: ${say(node.parentElement)}`);
    else {
      const range = document.createRange();
      const start = node.data.indexOf(name);
      range.setStart(node, start);
      range.setEnd(node, start + name.length);
      const text = range.getBoundingClientRect();
      for (let a = node.parentElement; a && a !== document.body; a = a.parentElement) {
        const s = getComputedStyle(a);
        const box = a.getBoundingClientRect();
        if (s.textOverflow !== 'clip' && a.scrollWidth > a.clientWidth) {
          problems.push(`the signed-in name "${name}" is cut by text-overflow: ${say(a)}`);
          break;
        }
        if (s.overflowX !== 'visible' && (text.left < box.left - 0.5 || text.right > box.right + 0.5
            || text.top < box.top - 0.5 || text.bottom > box.bottom + 0.5)) {
          problems.push(`the signed-in name "${name}" is cut (${text.width.toFixed(0)} px of text in ${box.width.toFixed(0)} px): ${say(a)}`);
          break;
        }
      }
      if (text.right > html.clientWidth + 0.5) problems.push(`the signed-in name "${name}" runs off the screen`);
    }
  }

  // 5. Strict Japanese line breaking, with the page's own styles: a line exactly five characters
  //    wide, whose sixth character is 「ー」 (「アアアバナ/ー文言」 when breaking is not strict).
  const main = document.querySelector('main') || document.body;
  const probe = document.createElement('p');
  probe.style.cssText = 'width: 5em; font-size: 20px; padding: 0; margin: 0; letter-spacing: 0; font-family: monospace';
  probe.textContent = 'アアアバナー文言';
  main.append(probe);
  const dash = document.createRange();
  dash.setStart(probe.firstChild, 5);
  dash.setEnd(probe.firstChild, 6);
  const first = document.createRange();
  first.setStart(probe.firstChild, 0);
  first.setEnd(probe.firstChild, 1);
  const before = document.createRange();
  before.setStart(probe.firstChild, 4);
  before.setEnd(probe.firstChild, 5);
  if (dash.getBoundingClientRect().left - first.getBoundingClientRect().left < 1
      && before.getBoundingClientRect().top < dash.getBoundingClientRect().top - 1) {
    problems.push(`「ー」 starts a line (line-break: ${getComputedStyle(probe).lineBreak})`);
  }
  probe.remove();
  return problems;
}"""


@pytest.fixture(scope="module")
def world(aws):
    return build_world()



def _shot_name(role: str, size: str, path: str) -> str:
    return f"{role}--{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_') or 'top'}--{size}.png"


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_labels_its_figures_and_has_targets_to_tap(browser, live_server, app, world, role, size):
    context = new_context(browser, viewport=SIZES[size])
    tab = context.new_page()
    name = None if role == "anonymous" else world["people"][role].name
    try:
        if role != "anonymous":
            log_in(tab, live_server.url, world["people"][role].user_id)
        problems, walked = [], 0
        for path in visit_pages(context, tab, live_server.url, every_page(app, world["ids"])):
            walked += 1
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(Path(SHOTS) / _shot_name(role, size, path)), full_page=True)
            shows_name = name if tab.locator("header").count() else None  # sign-in pages have no header
            problems += [f"{path} -> {tab.url}: {problem}" for problem in tab.evaluate(CHECKS, shows_name)]
            if size == "phone":  # test_accessibility.py audits every page at the desktop's size
                problems += [f"{path} -> {tab.url}: axe {v['impact']} {v['id']} {v['nodes']}" for v in axe_violations(tab)]
        assert walked >= 10
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_the_checks_report_what_they_are_meant_to(browser, live_server, world):
    """The walk is not blind: each check fails on a page broken in its way, and not before."""
    context = new_context(browser, viewport=PHONE)
    tab = context.new_page()
    name = world["people"]["client_admin"].name
    kinds = ("scrolls sideways", "under 24x24", "without its label", "not right-aligned", "is cut", "starts a line")
    try:
        log_in(tab, live_server.url, world["people"]["client_admin"].user_id)
        tab.goto(live_server.url + "/")
        # The header as the checks expect it, whatever the site's header looks like today.
        tab.evaluate("""(name) => { document.querySelector('header').innerHTML = `<p class="probe-name">${name}</p>`; }""", name)
        before = "\n".join(tab.evaluate(CHECKS, name))
        assert [kind for kind in kinds if kind in before] == [], before
        # Styles set through the CSSOM: the page's CSP refuses style attributes in inserted HTML.
        tab.evaluate("""() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
              '<div class="probe-wide">wide</div><p><button class="probe-small"></button><button class="probe-small"></button></p>'
              + '<table class="table probe-table"><thead><tr><th>名前</th><th class="num">残り</th></tr></thead>'
              + '<tbody><tr><td>名前</td><td class="probe-left">5.5 pt</td></tr></tbody></table>');
            document.querySelector('.probe-wide').style.width = '2000px';
            for (const button of document.querySelectorAll('.probe-small')) button.style.cssText = 'width: 10px; height: 10px; padding: 0; min-height: 0';
            document.querySelector('.probe-left').style.cssText = 'text-align: left; font-variant-numeric: normal';
            document.querySelector('.probe-table thead').style.cssText = 'position: absolute; clip-path: inset(50%)';
            document.querySelector('.probe-name').style.cssText = 'display: inline-block; max-width: 1em; overflow: hidden; white-space: nowrap';
            document.documentElement.style.lineBreak = 'anywhere';
        }""")
        after = "\n".join(tab.evaluate(CHECKS, name))
        assert [kind for kind in kinds if kind not in after] == [], after
    finally:
        context.close()
