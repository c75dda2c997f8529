"""chalicelib/cold_start.py: a fresh `import app` runs the bodies of only the services its
import needs, defines every model, and leaves pyOpenSSL out; load_all runs the rest."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import app
from chalicelib import cold_start
waiting = cold_start.waiting()
ran = sorted(name for name in sys.modules if name.startswith("chalicelib.services.") and name not in waiting)
models = sorted(name for name in sys.modules if name.startswith("chalicelib.models."))
tls = sorted(name for name, module in sys.modules.items()
             if module is not None and (name.split(".")[0] == "OpenSSL" or "pyopenssl" in name))
cold_start.load_all()
print(json.dumps({"ran": ran, "models": models, "tls": tls, "after": cold_start.waiting()}))
"""


def _probe() -> dict:
    env = {**os.environ, "IRAI_MAIL_FEEDBACK_TOPIC": "arn:aws:sns:ap-northeast-1:000000000000:probe"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_services_other_routes_use_wait_until_they_are_used_and_every_model_is_defined():
    found = _probe()
    # Only those a module imports names from (SignedIn, Throttled, ...) and what they take names from.
    assert found["ran"] == ["chalicelib.services.auth", "chalicelib.services.history",
                            "chalicelib.services.permissions", "chalicelib.services.throttle"]
    every_model = sorted(f"chalicelib.models.{path.stem}" for path in (ROOT / "chalicelib" / "models").glob("*.py")
                         if path.stem != "__init__")
    assert found["models"] == every_model  # PynamoDB types a partition's items by the classes defined
    assert found["tls"] == []  # botocore's SSLContext without importing pyOpenSSL
    assert found["after"] == []  # load_all, for a server on several threads
