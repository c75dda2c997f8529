"""The layers of chalicelib/ hold because a tool checks them, not because we hope so.

`.importlinter` names the layers (web and jobs above services, above models, above adapters, above
the shared leaves: errors, messages, templating), forbids pages and jobs to read models directly,
and forbids import circles anywhere inside chalicelib/. This test fails on any import that breaks
them, and names it.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout, result.stdout
