"""Cold start of the Lambda package, measured in one run and reported as ratios.

    .venv/bin/python -m bench.cold_start

Builds the package as `make package` does (into a temporary folder), unzips it twice, with and
without the bytecode `make package` adds, and times fresh interpreters (`python -I -S -B`: the
unzipped package and the standard library only on sys.path, nothing written, as on Lambda's
read-only /var/task) that import the app and then handle one request, GET /login, whose one
DynamoDB call goes to the embedded emulator. The yardstick is a minimal Chalice app, run from the
same package's libraries as if pyOpenSSL were not among them (only webauthn brings it), that makes
one DynamoDB call. Absolute times depend on the machine; the ratios are what to compare between runs.
"""
from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 7

# One process: import the app, then one request through the Lambda handler. Prints seconds.
CHILD = r"""
import sys, time, json
started = time.perf_counter()
sys.path[:0] = sys.argv[1].split(":")
import app
imported = time.perf_counter()
class Context:
    function_name, function_version, aws_request_id, memory_limit_in_mb = "bench", "$LATEST", "bench", 1024
    def get_remaining_time_in_millis(self): return 30000
path = sys.argv[2]
headers = {"Host": "irai.example.com", "Accept": "text/html"}
event = {"resource": path, "path": path, "httpMethod": "GET", "headers": headers,
         "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
         "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
         "requestContext": {"resourcePath": path, "httpMethod": "GET", "path": "/api" + path, "stage": "api",
                            "requestId": "bench", "identity": {"sourceIp": "203.0.113.10"}},
         "body": None, "isBase64Encoded": False}
response = app.app(event, Context())
done = time.perf_counter()
assert response["statusCode"] == 200, response
print(json.dumps({"import": imported - started, "total": done - started}))
"""

MINIMAL_APP = '''
import os
import sys

# As if its package had no pyOpenSSL (only webauthn brings it): botocore then skips importing it,
# as Irai's app does (chalicelib/cold_start.py).
sys.modules.setdefault("urllib3.contrib.pyopenssl", None)

import boto3
from chalice import Chalice

app = Chalice(app_name="minimal")


@app.route("/")
def index():
    item = boto3.client("dynamodb").get_item(TableName=os.environ["IRAI_TABLE"],
                                             Key={"PK": {"S": "AGENCY"}, "SK": {"S": "SETTINGS"}})
    return {"found": "Item" in item}
'''


def _build(folder: Path) -> Path:
    """`make package` into ``folder``; returns the zip."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IRAI_"))}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               AWS_DEFAULT_REGION="ap-northeast-1")
    from tests.support import chalice_cache

    cache = ROOT / ".chalice" / "deployments"
    with chalice_cache.exclusive():
        before = set(cache.glob("*.zip"))
        subprocess.run(["make", "--no-print-directory", "package", f"DIST={folder / 'dist'}",
                        f"MERGE={folder / 'merge.json'}"], cwd=ROOT, env=env, check=True, capture_output=True)
        for added in set(cache.glob("*.zip")) - before:  # chalice's build cache; ~18 MB per code change
            added.unlink(missing_ok=True)
    return folder / "dist" / "deployment.zip"


def _unzip(zip_path: Path, target: Path, *, bytecode: bool) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if bytecode or not name.endswith(".pyc"):
                archive.extract(name, target)
    return target


def _time(paths: list[Path], route: str, env: dict[str, str]) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", CHILD, ":".join(map(str, paths)), route],
                            env=env, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"the timed process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def measure(rounds: int = ROUNDS) -> dict[str, dict[str, float]]:
    """Median seconds of `import` and `total` (import + first request) for each variant."""
    from localdev import emulator, provision, stack

    with tempfile.TemporaryDirectory(prefix="irai-bench-") as tmp:
        work = Path(tmp)
        zip_path = _build(work)
        with_pyc = _unzip(zip_path, work / "with-bytecode", bytecode=True)
        without_pyc = _unzip(zip_path, work / "without-bytecode", bytecode=False)
        minimal = work / "minimal"
        minimal.mkdir()
        (minimal / "app.py").write_text(MINIMAL_APP, encoding="utf-8")

        saved = dict(os.environ)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log
        moto = emulator.start()
        try:
            resources = provision.provision(provision.default_local_params("https://irai.example.com"))
            stack.configure_environment("https://irai.example.com", resources, IRAI_LOG_LEVEL="WARNING")
            env = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "IRAI_")) or k in ("PATH", "LANG")}
            variants = {
                "no_bytecode": ([without_pyc], "/login"),
                "bytecode": ([with_pyc], "/login"),
                # The minimal app imports chalice and boto3 from the package, bytecode included.
                "minimal": ([minimal, with_pyc], "/"),
            }
            samples: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
            for _ in range(rounds):  # interleaved, so a busy moment hits every variant alike
                for name, (paths, route) in variants.items():
                    samples[name].append(_time(paths, route, env))
        finally:
            moto.stop()
            os.environ.clear()
            os.environ.update(saved)
    return {name: {key: statistics.median(s[key] for s in runs) for key in ("import", "total")}
            for name, runs in samples.items()}


def run() -> str:
    figures = measure()
    base = figures["minimal"]["total"]
    rows = [
        ("Irai package without bytecode (as Chalice builds it)", figures["no_bytecode"]),
        ("Irai package with bytecode (`make package`, and `chalice deploy` after it)", figures["bytecode"]),
        ("minimal Chalice app, one DynamoDB call", figures["minimal"]),
    ]
    lines = [
        "## Cold start",
        "",
        f"Fresh interpreters on the unzipped Lambda package (`python -I -S -B`), median of {ROUNDS}, "
        "one run: importing the app, then the first request (GET /login, one DynamoDB call to the emulator). "
        "Ratios are against the minimal Chalice app's import + first request (as if its package had no pyOpenSSL).",
        "",
        "| | import | import + first request | ratio |",
        "|---|---:|---:|---:|",
    ]
    for label, figure in rows:
        lines.append(f"| {label} | {figure['import'] * 1000:.0f} ms | {figure['total'] * 1000:.0f} ms | "
                     f"{figure['total'] / base:.2f} |")
    saved = 1 - figures["bytecode"]["total"] / figures["no_bytecode"]["total"]
    lines += ["", f"Bytecode in the package saves {saved:.0%} of the cold start "
                  f"(no bytecode / bytecode = {figures['no_bytecode']['total'] / figures['bytecode']['total']:.2f})."]
    ratio = figures["bytecode"]["total"] / base
    lines += ["", f"Goal (issue 18): with bytecode at most {GOAL:.2f}× the minimal app; the bench fails past "
                  f"{GOAL * GOAL_MARGIN:.2f}×."]
    section = "\n".join(lines) + "\n"
    return section + (f"\n**FAILED**: cold start {ratio:.2f}× the minimal app.\n" if ratio > GOAL * GOAL_MARGIN else "")


def bench_run() -> str:
    """What `make bench` runs: the section, and a failure when the goal is missed by more than 25 %."""
    section = run()
    if "**FAILED**" in section:
        from bench.world import Failed
        raise Failed(section)
    return section


GOAL, GOAL_MARGIN = 1.10, 1.25


if __name__ == "__main__":
    print(run())
