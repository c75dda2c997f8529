"""pyotp, py_webauthn (with cbor2 and cryptography) and segno load on the first 2段階認証 page or
sign-in step only: a cold start of the app never pays for them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_app_imports_no_second_factor_library_at_cold_start():
    root = Path(__file__).resolve().parents[2]
    probe = ("import sys, app; print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('pyotp', 'webauthn', 'segno', 'cbor2')))")
    env = {**os.environ, "IRAI_MAIL_FEEDBACK_TOPIC": "arn:aws:sns:ap-northeast-1:000000000000:probe"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
