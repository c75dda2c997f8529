"""Run inside a fresh interpreter against the unzipped Lambda package (see test_package.py).

Usage: python -I -S -B probe_unzipped.py <unzipped-dir> <venv-site-packages>

sys.path starts as the unzipped package and the standard library only, as on Lambda: whatever
the app needs to import, render and route must be in the package. Only then is the venv's
site-packages appended (after the package, so the package still wins), for the test-only moto
that emulates DynamoDB for step 5. The probe prints a JSON report on stdout; test_package.py
makes the assertions.
"""
from __future__ import annotations

import json
import os
import sys
import types

PACKAGE, SITE_PACKAGES = sys.argv[1], sys.argv[2]
# sys.path[0] is this script's folder; the package takes its place. (-S: no site-packages yet.)
sys.path[0] = PACKAGE


def origins() -> dict[str, str]:
    """Top-level module name -> where it was loaded from: package, stdlib or site-packages."""
    found: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = os.path.realpath(path)
        if path.startswith(os.path.realpath(PACKAGE) + os.sep):
            where = "package"
        elif path.startswith(os.path.realpath(SITE_PACKAGES) + os.sep):
            where = "site-packages"
        else:
            where = "stdlib"
        found.setdefault(name.partition(".")[0], where)
    return found


def lambda_event(method: str, resource: str, path: str, path_parameters: dict | None) -> dict:
    """A minimal API Gateway REST (proxy) event, the shape the deployed function receives."""
    headers = {"Host": "irai.example.com", "Accept": "text/html"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": "/api" + path,
            "stage": "api",
            "requestId": "probe",
            "identity": {"sourceIp": "203.0.113.10"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


LAMBDA_CONTEXT = types.SimpleNamespace(
    function_name="irai-prod", function_version="$LATEST", aws_request_id="probe",
    memory_limit_in_mb=128, get_remaining_time_in_millis=lambda: 30000,
)

report: dict = {}

# --- 1. Import the app the way the Lambda runtime does (handler "app.app").
import bcrypt  # noqa: E402

import app as app_module  # noqa: E402
import chalicelib  # noqa: E402
from chalicelib import templating  # noqa: E402
from chalicelib.messages import t  # noqa: E402
from chalicelib.web import navigation  # noqa: E402

report["files"] = {
    "app": app_module.__file__,
    "chalicelib": chalicelib.__file__,
    "templating": templating.__file__,
    "templates_dir": str(templating.TEMPLATES_DIR),
    "static_dir": str(templating.STATIC_DIR),
    "bcrypt": bcrypt.__file__,
}

# --- 2. The login page straight through the template (no DynamoDB).
agency = types.SimpleNamespace(name="テスト制作会社", phone="03-0000-0000", mail_sender_name="テスト制作会社")
values = dict(user_id="", next="/", notice=None, error=None)
report["login_html"] = templating.render(
    "auth/login.html", agency=agency, me=None, csrf_token="x", t=t,
    navigation=navigation.for_page("auth/login.html", values, None, agency, "/login"), **values,
)
report["css_url"] = templating.static_url("css/app.css")
# The same page from the template's source: the compiled modules must say what it says.
from jinja2 import FileSystemLoader  # noqa: E402

report["loader"] = type(templating.environment().loader).__name__
report["login_html_from_source"] = templating.configured(FileSystemLoader(templating.TEMPLATES_DIR)).get_template(
    "auth/login.html").render(agency=agency, me=None, csrf_token="x", t=t,
                              navigation=navigation.for_page("auth/login.html", values, None, agency, "/login"),
                              **values)

# --- 3. The native extension works here (bcrypt's wheel is what ships).
hashed = bcrypt.hashpw(b"probe-password", bcrypt.gensalt(rounds=4))
report["bcrypt_ok"] = bcrypt.checkpw(b"probe-password", hashed)

# --- 4. A static file through the Lambda handler itself (routing, middleware, static dir).
css_name = report["css_url"].rsplit("/", 1)[1]
response = app_module.app(
    lambda_event("GET", "/static/{folder}/{name}", f"/static/css/{css_name}",
                 {"folder": "css", "name": css_name}),
    LAMBDA_CONTEXT,
)
report["static_response"] = {
    "status": response["statusCode"],
    "headers": response.get("headers", {}),
    "body": response["body"],
}

# Before any test-only tool is imported: what did the app itself need from outside the package?
report["origins_app_only"] = origins()

# --- 5. GET /login through the handler, against DynamoDB emulated in-process by moto.
sys.path.append(SITE_PACKAGES)
from moto import mock_aws  # noqa: E402  (test-only, from site-packages)

with mock_aws():
    from chalicelib.models.agency import AgencySettings

    AgencySettings.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    response = app_module.app(lambda_event("GET", "/login", "/login", None), LAMBDA_CONTEXT)
report["login_response"] = {
    "status": response["statusCode"],
    "headers": response.get("headers", {}),
    "body": response["body"],
}
report["origins_all"] = origins()

json.dump(report, sys.stdout, ensure_ascii=False)
