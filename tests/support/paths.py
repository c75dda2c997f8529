"""Where things are: the repository, and the folder test artifacts (screenshots) are kept in."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
