"""The real Lambda package: `chalice package --stage prod`, unzipped and exercised.

One build per test module (pip downloads the Lambda's dependencies, so PyPI must be reachable;
AWS need not be: no credentials, no profile, no instance metadata). The unzipped package is then
imported in a fresh interpreter whose sys.path starts with the package (probe_unzipped.py), so a
file that the repo has but the zip lacks fails here rather than in production.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from localdev.provision import load_template
from tests.support import chalice_cache

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHALICE = Path(sys.executable).with_name("chalice")
STAGE = "prod"
RUNTIME = "python3.11"
# glibc of the Lambda OS under each runtime: python3.8-3.11 run on Amazon Linux 2, 3.12+ on AL2023.
RUNTIME_GLIBC = {"python3.11": (2, 26), "python3.12": (2, 34), "python3.13": (2, 34)}
BUILD_TIMEOUT = 900
MANYLINUX2014 = {"manylinux2014_x86_64", "manylinux_2_17_x86_64"}


def offline_env() -> dict[str, str]:
    """The environment of `make package`: nothing from AWS is read, only a region name is set.

    Every AWS_* variable of this process is dropped (the integration fixtures point them at the
    emulator); proxies and PIP_* settings stay so pip reaches the package index as usual.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IRAI_"))}
    env.update({
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    })
    return env


@dataclass(frozen=True)
class Package:
    zip_path: Path
    sam: dict
    root: Path  # the unzipped deployment.zip
    deploy_zip_names: list[str]  # what a `chalice deploy` right after `make package` would upload

    def top_level(self) -> set[str]:
        return {p.name for p in self.root.iterdir()}


def _build_failure(result: subprocess.CompletedProcess) -> str:
    output = (result.stdout + result.stderr)[-6000:]
    hint = ""
    if re.search(r"Could not satisfy the requirement|Could not find a version|NewConnectionError|"
                 r"Connection refused|Temporary failure in name resolution|timed out|"
                 r"PackageDownloadError|ProxyError|SSLError", output):
        hint = ("\npip could not download the Lambda's dependencies. `chalice package` runs "
                "`pip download -r requirements.txt`, so the package index (PyPI, or PIP_INDEX_URL) "
                "must be reachable from this machine; AWS itself is not needed. A message such as "
                "'Could not satisfy the requirement: pynamodb==...' usually means the index was "
                "unreachable, not that the pin is wrong.")
    return f"`make package` (chalice package --stage {STAGE}, bytecode, cfn-lint) failed (exit {result.returncode}).{hint}\n--- output ---\n{output}"


def _prune_chalice_cache(cache_dir: Path, before: set[Path]) -> None:
    """chalice keeps every build in .chalice/deployments (keyed on requirements, app code and
    vendor/), so each test run after a code change would leave ~18 MB behind: drop what this
    run added (the packaged zip differs from it: `make package` adds bytecode)."""
    if not cache_dir.is_dir():
        return
    for candidate in set(cache_dir.glob("*.zip")) - before:
        candidate.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Package:
    assert CHALICE.is_file(), f"chalice is not installed beside {sys.executable} (run `make test`)"
    work = tmp_path_factory.mktemp("lambda-package")
    out = work / "dist"
    cache_dir = ROOT / ".chalice" / "deployments"
    with chalice_cache.exclusive():  # the cold-start bench test builds too, maybe in another worker
        before = set(cache_dir.glob("*.zip")) if cache_dir.is_dir() else set()
        try:
            # What `make package` does: merge infra/template.yaml, package, add bytecode, cfn-lint.
            result = subprocess.run(
                ["make", "--no-print-directory", "package", f"DIST={out}", f"MERGE={work / 'merge.json'}"],
                cwd=ROOT, env=offline_env(), capture_output=True, text=True, timeout=BUILD_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`chalice package` took longer than {BUILD_TIMEOUT}s; is the package index "
                        "(PyPI) reachable? pip downloads the Lambda's dependencies during the build.")
        zip_path = out / "deployment.zip"
        deploy_zip = Path(_chalice_deploy_zip())
        deploy_zip_names = zipfile.ZipFile(deploy_zip).namelist() if deploy_zip.is_file() else []
        _prune_chalice_cache(cache_dir, before)
    if result.returncode != 0:
        pytest.fail(_build_failure(result))
    # chalice only warns (exit 0) when it could not get a Lambda-compatible build of a dependency.
    assert "Could not install dependencies" not in result.stdout + result.stderr, _build_failure(result)
    assert zip_path.is_file() and (out / "sam.json").is_file(), os.listdir(out)

    root = work / "unzipped"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root)
    return Package(zip_path=zip_path, sam=json.loads((out / "sam.json").read_text()), root=root,
                   deploy_zip_names=deploy_zip_names)


def _chalice_deploy_zip() -> str:
    """The cached package `chalice deploy` reuses for the current code (chalice's own naming)."""
    from chalice.deploy.packager import LambdaDeploymentPackager
    from chalice.utils import OSUtils

    return LambdaDeploymentPackager(OSUtils(), None, None).deployment_package_filename(str(ROOT), RUNTIME)


# --- what is in the zip -------------------------------------------------------------------------

def test_app_code_templates_and_static_files_are_at_the_zip_root(package):
    top = package.top_level()
    for needed in ("app.py", "chalicelib", "templates", "static"):
        assert needed in top, f"{needed} is missing from the zip root: {sorted(top)}"
    for folder in ("templates", "static"):
        repo = {p.relative_to(ROOT / folder) for p in (ROOT / folder).rglob("*") if p.is_file()}
        shipped = {p.relative_to(package.root / folder) for p in (package.root / folder).rglob("*")
                   if p.is_file()}
        assert shipped == repo, (f"{folder}/ in the zip differs from the repo: missing "
                                 f"{sorted(map(str, repo - shipped))}, extra {sorted(map(str, shipped - repo))}")


def test_nothing_but_the_lambda_code_is_shipped(package):
    top = package.top_level()
    for unwanted in ("tests", "localdev", ".venv", "vendor", ".chalice", "infra", "dist", ".git",
                     "requirements-dev.txt", "Makefile", "pytest.ini"):
        assert unwanted not in top, f"{unwanted} must not be in the Lambda package"
    with zipfile.ZipFile(package.zip_path) as archive:
        names = archive.namelist()
    stray = [n for n in names
             if n.startswith(("tests/", "localdev/", "vendor/")) or ".venv" in n.split("/")]
    assert not stray, stray[:10]
    # Test and tooling dependencies stay out (requirements-dev.txt is never packaged).
    for dev_only in ("moto", "pytest", "_pytest", "playwright", "cfnlint"):
        assert dev_only not in top, f"dev-only {dev_only} ended up in the Lambda package"
    # Chalice ships only its runtime module, not its CLI and deployer.
    assert sorted(p.name for p in (package.root / "chalice").iterdir() if p.name != "__pycache__") == \
        ["__init__.py", "app.py"]


def _glibc_needs(shared_object: Path) -> set[tuple[int, int]]:
    """The GLIBC_x.y symbol versions an ELF shared object requires (from its .dynstr)."""
    data = shared_object.read_bytes()
    return {(int(a), int(b)) for a, b in re.findall(rb"GLIBC_(\d+)\.(\d+)", data)}


def test_native_code_is_manylinux_x86_64_loadable_on_the_lambda_os(package):
    ceiling = RUNTIME_GLIBC[RUNTIME]
    shared_objects = list(package.root.rglob("*.so")) + list(package.root.rglob("*.so.*"))
    assert shared_objects, "expected bcrypt's extension module at least"
    for so in shared_objects:
        head = so.read_bytes()[:20]
        assert head[:4] == b"\x7fELF", f"{so} is not a Linux ELF object"
        assert int.from_bytes(head[18:20], "little") == 62, f"{so} is not built for x86_64"
        needs = _glibc_needs(so)
        assert not needs or max(needs) <= ceiling, (
            f"{so.relative_to(package.root)} needs glibc {max(needs)} but {RUNTIME} on Lambda has {ceiling}")


def test_bcrypt_is_the_manylinux2014_wheel(package):
    """pip on a newer host picks bcrypt's manylinux_2_34 wheel, which does not load on Amazon Linux 2;
    chalice must have replaced it with the manylinux2014 (glibc 2.17) build."""
    wheel_files = list(package.root.glob("bcrypt-*.dist-info/WHEEL"))
    assert len(wheel_files) == 1, wheel_files
    tags = re.findall(r"^Tag: (\S+)$", wheel_files[0].read_text(), re.M)
    platforms = {tag.split("-")[-1] for tag in tags}
    assert platforms & MANYLINUX2014, f"bcrypt wheel tags {tags}"
    assert not any(re.match(r"manylinux_2_(2[7-9]|[3-9]\d)_", p) for p in platforms), tags
    assert "cp311" in {tag.split("-")[0] for tag in tags} or "abi3" in {tag.split("-")[1] for tag in tags}


# --- the SAM template -------------------------------------------------------------------------

def _functions(sam: dict) -> dict[str, dict]:
    return {name: res for name, res in sam["Resources"].items()
            if res["Type"] == "AWS::Serverless::Function"}


def test_sam_template_runs_python311_with_the_stage_policy_file(package):
    functions = _functions(package.sam)
    assert functions, "no Lambda function in sam.json"
    expected_policy = json.loads((ROOT / ".chalice" / f"policy-{STAGE}.json").read_text())
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == RUNTIME, (name, props["Runtime"])
        assert props.get("Architectures", ["x86_64"]) == ["x86_64"], name
        assert props["CodeUri"] == "./deployment.zip"
        role_ref = props["Role"]
        assert isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref, (
            f"{name} should use the role chalice builds from policy-{STAGE}.json, not {role_ref}")
        role = package.sam["Resources"][role_ref["Fn::GetAtt"][0]]
        assert role["Type"] == "AWS::IAM::Role"
        documents = [p["PolicyDocument"] for p in role["Properties"].get("Policies", [])]
        assert documents == [expected_policy], f"{name}'s role is not exactly policy-{STAGE}.json"
        assert not role["Properties"].get("ManagedPolicyArns"), "no managed policies on top"
    assert functions["APIHandler"]["Properties"]["Handler"] == "app.app"


def test_api_gateway_compresses_responses_of_a_kib_and_more(package):
    """HTML, CSS and JS shrink to about a quarter gzipped (docs/figures.md, page weight); API
    Gateway sends nothing compressed unless the REST API says from which size on."""
    assert package.sam["Resources"]["RestAPI"]["Properties"]["MinimumCompressionSize"] == 1024


def test_mail_sender_runs_every_minute_and_feedback_comes_from_the_stage_topic(package):
    """The outbox is emptied by a schedule (nobody's request waits for SES), and SES feedback
    reaches the handler through the topic infra/ creates for this stage."""
    events = {name: function["Properties"].get("Events", {}) for name, function in _functions(package.sam).items()}
    schedules = [e for found in events.values() for e in found.values() if e["Type"] == "Schedule"]
    assert [e["Properties"]["Schedule"] for e in schedules] == ["rate(1 minute)"]
    subscriptions = [e for found in events.values() for e in found.values() if e["Type"] == "SNS"]
    assert len(subscriptions) == 1
    # In the one-stack template the subscription names the stack's own topic (so it is created
    # first), which is the topic `chalice deploy` finds by the stage's setting.
    assert subscriptions[0]["Properties"]["Topic"] == {"Fn::Sub": "${MailFeedbackTopic}"}
    stage_topic = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][STAGE][
        "environment_variables"]["IRAI_MAIL_FEEDBACK_TOPIC"]
    assert _resolved(package.sam, "MailFeedbackTopic")["TopicName"] == stage_topic


# --- the one-stack template (infra/template.yaml merged in) ---------------------------------------

def _resolved(sam: dict, logical_id: str) -> dict:
    """A merged infra resource's Properties with the Stage parameter's default substituted."""
    stage = sam["Parameters"]["Stage"]["Default"]
    text = json.dumps(sam["Resources"][logical_id]["Properties"])
    return json.loads(re.sub(r'\{"Fn::Sub": "([^"$]*)\$\{Stage\}([^"$]*)"\}', rf'"\g<1>{stage}\g<2>"', text))


def test_the_merged_template_passes_cfn_lint(package):
    result = subprocess.run([str(CHALICE.with_name("cfn-lint")), str(package.zip_path.with_name("sam.json"))],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_merged_template_carries_the_infra_stack_for_the_packaged_stage_only(package):
    infra = load_template()
    assert set(infra["Resources"]) <= set(package.sam["Resources"])
    assert set(infra["Outputs"]) <= set(package.sam["Outputs"])
    assert package.sam["Parameters"]["Stage"]["AllowedValues"] == [STAGE]


def test_functions_are_named_as_the_log_groups_and_alarms_of_the_infra_stack_expect(package):
    names = {props["Properties"]["FunctionName"] for props in _functions(package.sam).values()}
    assert names == {f"irai-{STAGE}", f"irai-{STAGE}-deliver_mail", f"irai-{STAGE}-mail_feedback"}
    groups = {_resolved(package.sam, name)["LogGroupName"] for name, r in package.sam["Resources"].items()
              if r["Type"] == "AWS::Logs::LogGroup"}
    assert groups == {f"/aws/lambda/{name}" for name in names}


def test_function_settings_name_the_stacks_own_resources(package):
    for name, function in _functions(package.sam).items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["IRAI_TABLE"] == {"Ref": "Table"}, name
        assert variables["IRAI_BUCKET"] == {"Ref": "AttachmentsBucket"}, name  # no ACCOUNT_ID by hand
        assert variables["IRAI_MAIL_CONFIGURATION_SET"] == {"Ref": "MailConfigurationSet"}, name
        assert variables["IRAI_SITE_URL"] == {"Ref": "SiteUrl"}, name
        assert variables["IRAI_BCRYPT_ROUNDS"] == "12", name  # the rest still comes from config.json


def test_unknown_urls_get_the_apps_404_page_not_api_gateways_403(package):
    swagger = package.sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    response = swagger["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert response["statusCode"] == 404
    page = response["responseTemplates"]["text/html"]
    _assert_stylesheet_is_the_shipped_one(page, package)
    assert "ページが見つかりません" in page and 'href="/"' in page
    assert "$" not in page and "#" not in page  # a Velocity template
    assert json.loads(response["responseTemplates"]["application/json"]) == {"message": "見つかりません。"}
    assert response["responseParameters"]["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"


# --- bytecode ----------------------------------------------------------------------------------

def test_every_module_ships_with_checked_hash_bytecode_for_the_runtime(package):
    """Lambda cannot write .pyc files: without them each cold start compiles every import."""
    assert RUNTIME == f"python{sys.version_info.major}.{sys.version_info.minor}"  # the pyc's reader
    sources = sorted(package.root.rglob("*.py"))
    assert len(sources) > 200
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.is_file(), f"no bytecode for {source.relative_to(package.root)}"
        header = cached.read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[4:8], "little") == 0b11, "not a checked-hash pyc (PEP 552)"
        assert header[8:16] == importlib.util.source_hash(source.read_bytes()), source


def test_chalice_deploy_after_make_package_uploads_the_zip_with_bytecode(package):
    with zipfile.ZipFile(package.zip_path) as archive:
        packaged = sorted(archive.namelist())
    assert sorted(package.deploy_zip_names) == packaged
    assert "chalicelib/__pycache__/templating.cpython-311.pyc" in packaged


# --- the unzipped app, imported and called in a fresh interpreter ----------------------------

PROBE_ENV = {
    "IRAI_TABLE": "irai-probe",
    "IRAI_BUCKET": "irai-probe-attachments-000000000000",
    "IRAI_MAIL_FROM": "no-reply@example.com",
    "IRAI_MAIL_CONFIGURATION_SET": "irai-probe-mail",
    "IRAI_MAIL_FEEDBACK_TOPIC": "irai-probe-mail-feedback",
    "IRAI_SITE_URL": "https://irai.example.com",
    "IRAI_BCRYPT_ROUNDS": "4",
    "IRAI_LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="module")
def probe(package) -> dict:
    site_packages = sysconfig.get_paths()["purelib"]
    env = {k: v for k, v in offline_env().items() if not k.startswith("PYTHON")}
    env.update(PROBE_ENV)
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(HERE / "probe_unzipped.py"), str(package.root), site_packages],
        cwd=package.root.parent, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"the unzipped app failed:\n{result.stderr[-6000:]}"
    return json.loads(result.stdout)


def _under(path: str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def test_app_chalicelib_and_templates_come_from_the_package(package, probe):
    for what, path in probe["files"].items():
        assert _under(path, package.root), f"{what} was loaded from {path}, not from the package"
    assert Path(probe["files"]["templates_dir"]).resolve() == (package.root / "templates").resolve()
    assert Path(probe["files"]["static_dir"]).resolve() == (package.root / "static").resolve()


def test_the_app_needs_nothing_outside_the_package(probe):
    """Import, template rendering, routing and bcrypt ran with only the package and the
    standard library on sys.path, as on Lambda (site-packages was added afterwards for moto)."""
    outside = {name for name, where in probe["origins_app_only"].items() if where == "site-packages"}
    assert not outside, f"loaded from the venv, so missing from the Lambda package: {sorted(outside)}"
    for name in ("app", "chalicelib", "chalice", "pynamodb", "botocore", "jinja2", "markupsafe", "bcrypt"):
        assert probe["origins_app_only"].get(name) == "package", (name, probe["origins_app_only"].get(name))
    assert probe["bcrypt_ok"] is True


def _assert_login_page(html: str, package: Package) -> None:
    for text in ("ユーザーID", "パスワード", "ログイン"):
        assert text in html
    _assert_stylesheet_is_the_shipped_one(html, package)


def _assert_stylesheet_is_the_shipped_one(html: str, package: Package) -> None:
    links = re.findall(r'<link rel="stylesheet" href="(/static/css/app\.([0-9a-f]{12})\.css)">', html)
    assert links, "no content-hashed stylesheet link"
    _, digest = links[0]
    css = package.root / "static" / "css" / "app.css"
    assert css.is_file()
    assert hashlib.sha256(css.read_bytes()).hexdigest()[:12] == digest, "the hash is not of the shipped file"


def test_login_template_renders_from_the_package(package, probe):
    html = probe["login_html"]
    _assert_login_page(html, package)
    assert "テスト制作会社" in html


def test_pages_render_from_templates_compiled_in_the_package(package, probe):
    """ops/bytecode.py compiles every template: a container's first page parses none."""
    templates = sorted(path for path in (package.root / "templates").rglob("*") if path.is_file())
    compiled = sorted((package.root / "templates_compiled").glob("tmpl_*.py"))
    assert len(compiled) == len(templates) > 50
    assert probe["loader"] == "ModuleLoader"
    assert probe["login_html"] == probe["login_html_from_source"]


def test_handler_serves_hashed_static_file_from_the_package(package, probe):
    response = probe["static_response"]
    assert response["status"] == 200, response
    assert response["body"] == (package.root / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert response["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Security-Policy" in response["headers"]


def test_handler_serves_login_page(package, probe):
    """GET /login through app.app(event, context), DynamoDB emulated in-process by moto."""
    response = probe["login_response"]
    assert response["status"] == 200, response["body"][-2000:]
    assert response["headers"]["Content-Type"].startswith("text/html")
    _assert_login_page(response["body"], package)
