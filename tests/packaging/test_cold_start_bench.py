"""bench/cold_start.py: the section `make bench` prints, measured for real."""
from __future__ import annotations

import re

from bench import cold_start


def test_the_cold_start_section_has_the_three_figures_and_bytecode_pays():
    section = cold_start.run()
    assert section.startswith("## Cold start\n")
    rows = re.findall(r"^\| (.+?) \| (\d+) ms \| (\d+) ms \| ([\d.]+) \|$", section, re.M)
    assert [label.split(" (")[0] for label, *_ in rows] == [
        "Irai package without bytecode", "Irai package with bytecode", "minimal Chalice app, one DynamoDB call"]
    ratios = [float(ratio) for *_, ratio in rows]
    assert ratios[2] == 1.0
    assert ratios[1] < ratios[0]  # the shipped bytecode is used, so the import compiles nothing
