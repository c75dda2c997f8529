"""Every table cell carries its column's label for the phone's cards (templates/_table.html).

The walk at 390x844 (tests/browser/test_every_page_sizes.py) checks the labels are shown; this
pins how the macro puts them on: by column, across colspans, escaped, none on a link column.
"""
from __future__ import annotations

from chalicelib import templating


def test_each_cell_gets_its_column_label_escaped_and_counted_across_colspans():
    row = '<tr><td class="num">1</td><td colspan="2">x</td><td>y</td><td>z</td></tr>'
    columns = [("a<b", ""), ("数量", "num"), ("c", ""), ("明細", "hidden"), ("残り", "num")]
    assert templating.label_cells(row, columns) == (
        '<tr><td data-label="a&lt;b" class="num">1</td><td data-label="数量" colspan="2">x</td>'
        '<td>y</td><td data-label="残り">z</td></tr>')


def test_every_table_of_the_macro_is_labelled():
    source = """{% from "_table.html" import data_table %}{% call(r) data_table(rows, [("作業", ""), ("ポイント", "num")], empty="なし") %}<tr><td>{{ r[0] }}</td><td class="num">{{ r[1] }} pt</td></tr>{% endcall %}"""
    html = templating.environment().from_string(source).render(rows=[("文言の変更", "1")])
    assert '<td data-label="作業">文言の変更</td><td data-label="ポイント" class="num">1 pt</td>' in html
