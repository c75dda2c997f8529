"""Hostile values (tests/support/hostile.py) in everything a user can type or send: no 500, ever.

Threat: a value Python reads more generously than the form means (``"²".isdigit()`` is true and
``int("²")`` raises; ``Decimal`` reads ``1e3`` and ``NaN`` and fails past 28 digits; Python 3.11's
``date.fromisoformat`` reads week dates), JSON nested until the parser's recursion gives up, a
pagination cursor edited by hand, or a form naming row 200,000: each crashed a handler into a 500
(or rendered for a minute), which any signed-in user could do on any id, and which hides the
message a person needs. Every such input gets the page's or the API's usual 4xx answer.

The walks read what they send from the app itself: the forms and their fields from the pages each
role can open, the query parameters from the code of chalicelib/web, the API's properties from
/api/openapi.json, so a field, parameter or property added later is walked without editing this.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.messages import t
from chalicelib.models.base import encode_cursor
from chalicelib.models.requests import INBOX, company_requests_partition
from tests.support.accounts import signed_in
from tests.support.factories import make_client, make_company
from tests.support.hostile import CLASSES, VALUES, one_of_each_class
from tests.support.walk import build_world


@pytest.fixture(scope="module")
def world(aws):
    """A world of this file's own: the walk posts hundreds of comments and changes, which would make
    every later page of the shared request (its thread, its mail list) slower for the rest of the suite."""
    return build_world()


JSON_TYPE = "application/json"
WEB = Path(__file__).resolve().parents[2] / "chalicelib" / "web"  # the code whose query reads are walked


def _api_raw(agent, method: str, path: str, body: bytes):
    token = json.loads(agent.get("/api/session").body)["csrf_token"]
    headers = agent._headers({"Content-Type": JSON_TYPE, "X-CSRF-Token": token})
    return agent.client.http.request(method, path, body=body, headers=headers)


def _api_message(response) -> str:
    assert response.headers.get("Content-Type", "").startswith(JSON_TYPE)
    return json.loads(response.body)["message"]


# --- JSON bodies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["array", "object", "mixed", "unclosed string", "in a string is fine"])
def test_deeply_nested_json_gets_the_usual_400(sign_in, world, shape):
    """JSON nested 100,000 deep made json.loads raise RecursionError (a 500). It is refused with the
    message for an unreadable body, before the parser recurses; nesting inside a string is text."""
    agent = sign_in("client_admin")
    depth = 100_000  # the array's; the others as deep as fits under the body limit (256 KB)
    body = {"array": "[" * depth + "]" * depth,
            "object": '{"a":' * 40_000 + "1" + "}" * 40_000,
            "mixed": '{"title":' + '[{"a":' * 30_000 + "1" + "}]" * 30_000 + "}",
            # escaped quotes and no closing one: a depth scan that backtracks would take minutes
            "unclosed string": '{"title": "' + '\\"[' * 80_000,
            "in a string is fine": json.dumps({"title": "[" * 1000 + "{" * 1000})}[shape]
    for method, path in (("POST", "/api/requests"), ("PATCH", f"/api/requests/{world['request'].request_id}"),
                         ("POST", f"/api/requests/{world['request'].request_id}/comments")):
        response = _api_raw(agent, method, path, body.encode())
        assert response.status_code == 400, (method, path, response.body[:200])
        if shape != "in a string is fine":
            assert _api_message(response) == t("form.bad_request")


@pytest.mark.parametrize("revision", [True, False, 1.0, 10 ** 40, -(10 ** 40), "1", None, [1]])
def test_a_revision_is_a_json_integer_and_nothing_else(sign_in, world, revision):
    """``True`` is an int to Python, so {"revision": true} passed as revision 1; a 40-digit integer
    is past what DynamoDB stores, and failed in its condition. Each is refused as the wrong type."""
    agent = sign_in("agency_admin")
    response = agent.api("PATCH", f"/api/requests/{world['request'].request_id}", {"revision": revision, "memo": "x"})
    assert response.status_code == 400, response.body
    assert _api_message(response) == t("api.bad_type", name="revision")


# --- pagination cursors --------------------------------------------------------------------------

def _tampered(partition_key: str, partition: str, sort_key: str) -> dict[str, str]:
    """Cursors with the right partition but the wrong set of key attributes or types."""
    full = {"PK": {"S": "REQUEST#x"}, "SK": {"S": "META"}, partition_key: {"S": partition},
            sort_key: {"S": "9#2026#x"}}
    variants = {
        "no SK": {k: v for k, v in full.items() if k != "SK"},
        "no PK": {k: v for k, v in full.items() if k != "PK"},
        "no index sort key": {k: v for k, v in full.items() if k != sort_key},
        "only the partition": {partition_key: {"S": partition}},
        "an extra attribute": {**full, "extra": {"S": "x"}},
        "a number": {**full, "SK": {"N": "1"}},
        "an empty key": {**full, "PK": {"S": ""}},
        "a list": {**full, "SK": {"S": ["x"]}},
        "outside the query": {**full, sort_key: {"S": "zzz"}},
    }
    return {label: encode_cursor(key) for label, key in variants.items()}


def test_a_tampered_cursor_starts_from_the_first_page(sign_in, world):
    """decode_cursor promised that a tampered cursor starts over; a cursor with the right
    partition but missing, extra or mistyped key attributes reached DynamoDB and came back a 500."""
    company_id = world["company"].company_id
    client_partition = company_requests_partition(company_id)
    lists = [
        ("agency_admin", "/?after={}", _tampered("GSI2PK", INBOX, "GSI2SK")),
        ("agency_admin", "/api/requests?after={}", _tampered("GSI2PK", INBOX, "GSI2SK")),
        ("agency_admin", "/clients?after={}", _tampered("GSI1PK", "COMPANIES", "GSI1SK")),
        ("client_admin", "/requests?after={}", _tampered("GSI1PK", client_partition, "GSI1SK")),
        ("client_admin", "/api/requests?status=done&after={}", _tampered("GSI1PK", client_partition, "GSI1SK")),
    ]
    wrong = []
    for role, path, cursors in lists:
        agent = sign_in(role)
        first = agent.get(path.format(""))
        assert first.status_code == 200, path
        for label, cursor in cursors.items():
            response = agent.get(path.format(cursor))
            if response.status_code != 200:
                wrong.append((path, label, response.status_code))
            elif path.startswith("/api/") and json.loads(response.body)["requests"] != json.loads(first.body)["requests"]:
                wrong.append((path, label, "not the first page"))
    assert wrong == []


# --- the estimate form ---------------------------------------------------------------------------

ROW_NAMES = ["qty_²", "menu_²", "name_٣", "points_①", "qty_" + "9" * 5000, "menu_1e3", "qty_-1"]


def test_estimate_row_names_of_another_company_answer_404(client, world):
    """The estimate form was parsed before any permission check: ``qty_²`` crashed int() for any
    signed-in user on any request id. Another company's users now get the 404 of any such id."""
    other = make_company("よその会社")
    outsiders = [make_client(other, role="client_admin"), make_client(other)]
    for user in outsiders:
        agent = signed_in(client, user)
        for name in ROW_NAMES:
            response = agent.post(f"/requests/{world['request'].request_id}/estimate",
                                  {name: "1", "estimate_version": "²"})
            assert response.status_code == 404, (user.role, name, response.status_code)


@pytest.mark.parametrize("name", ROW_NAMES)
def test_estimate_row_names_on_the_own_request_are_a_400(sign_in, world, name):
    """The agency's own estimate form with a hostile row name: refused with the form's message."""
    agent = sign_in("agency_staff")
    agent.get(f"/requests/{world['request'].request_id}")
    response = agent.post(f"/requests/{world['request'].request_id}/estimate",
                          {name: "1", "estimate_version": "1"})
    assert response.status_code == 400, response.status_code
    assert 'role="alert"' in agent.text(response)


def test_a_refused_estimate_form_renders_at_most_its_row_limit(sign_in, world):
    """``menu_200000`` made the refused form render 200,000 rows (238 MB, 87 s): the rows shown
    again are capped like the rows read, by the form's own maximum."""
    from chalicelib.web.estimate_panel import ESTIMATE_ROWS_MAX

    agent = sign_in("agency_staff")
    agent.get(f"/requests/{world['request'].request_id}")
    response = agent.post(f"/requests/{world['request'].request_id}/estimate",
                          {"menu_0": "unknown-item", "menu_200000": "", "estimate_version": "1"})
    assert response.status_code == 400
    rows = set(re.findall(r'name="menu_(\d+)"', agent.text(response)))
    assert 0 < len(rows) <= ESTIMATE_ROWS_MAX


# --- statement months ----------------------------------------------------------------------------

MONTHS = ["2026-13", "2026-00", "0000-00", "２０２６-１２", "2026-²1", "²026-01", "2026-0٣", "2026-1", "202612",
          "2026-12-01", "2026-W05", "1999-12", "9" * 5000]


@pytest.mark.parametrize("role,base", [("client_admin", "/points/statement"),
                                       ("agency_admin", "/clients/{company_id}/statement")])
def test_a_statement_month_outside_yyyy_mm_is_a_400_on_the_page_and_the_csv(sign_in, world, role, base):
    """A month other than ``YYYY-MM`` (ASCII digits, a real month) answers 400 with the month's
    message, on the page as on the CSV; full-width digits are refused on both (the month comes
    from <input type="month"> and the pages' links, never typed)."""
    agent = sign_in(role)
    base = base.format(company_id=world["company"].company_id)
    assert agent.get(f"{base}?month=2026-12").status_code == 200
    wrong = []
    for month in MONTHS:
        for path in (base, f"{base}.csv"):
            response = agent.get(f"{path}?month={month}")
            if response.status_code != 400 or t("statement.month") not in agent.text(response):
                wrong.append((path, month[:20], response.status_code))
    assert wrong == []


# --- the walks -------------------------------------------------------------------------------------

# What each kind of 4xx shows: a form again with its message (an alert or a message at a field),
# or an error page with its heading.
ERROR_HEADINGS = ("リクエストを処理できませんでした", "この操作は許可されていません", "ページが見つかりません")


def _html_problem(response) -> str | None:
    """Why ``response`` is not an answer a person can read, or None when it is one."""
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if 300 <= status < 400:
        return None if response.headers.get("Location") else "a redirect without Location"
    if not response.headers.get("Content-Type", "").startswith(("text/html", "text/csv")):
        return f"{status} {response.headers.get('Content-Type')}"
    text = response.body.decode("utf-8", "replace")
    if status >= 400 and not ('role="alert"' in text or '-error"' in text or any(h in text for h in ERROR_HEADINGS)):
        return f"{status} without its message"
    if status == 200 and response.headers.get("Content-Type", "").startswith("text/html") and "</html>" not in text:
        return "a blank or cut page"
    return None


def _api_problem(response) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}"
    try:
        body = json.loads(response.body)
    except ValueError:
        return f"{response.status_code} not JSON"
    if response.status_code >= 400 and not (isinstance(body, dict) and body.get("message")):
        return f"{response.status_code} without a message"
    return None


def _fields(form) -> list[str]:
    """Every field of a form a browser sends, but its CSRF token (a wrong one is the CSRF suite's)
    and passwords (wrong ones count towards the account's lockout, and are never shown again)."""
    kinds = {f.name: f.kind for f in form.fields}
    return [name for name in dict.fromkeys(f.name for f in form.fields)
            if name != "csrf_token" and kinds[name] not in ("password", "readonly", "submit", "file")]


def _versioned(form) -> bool:
    """Whether the form carries the version of what it changes (sent back stale, it is a 409)."""
    return any(f.kind == "hidden" and f.name in ("revision", "version", "estimate_version") for f in form.fields)


def _sends(names: list[str], turn: int) -> list[tuple[str, str, str]]:
    """(field, label, value) to send: every class of value to every field, where the repeated rows
    of a form (``qty_0`` .. ``qty_4``, a rule's ``days_3``) count as one field whose rows share the
    classes between them (each row gets one at least), to keep the walk's time in bounds."""
    families: dict[str, list[str]] = {}
    for name in names:
        families.setdefault(re.sub(r"[0-9]+$", "#", name), []).append(name)
    sends = []
    for members in families.values():
        classes = one_of_each_class(turn)
        turn += 1
        for index in range(max(len(classes), len(members))):
            label, value = classes[index % len(classes)]
            sends.append((members[index % len(members)], label, value))
    return sends


def _send_form(agent, page_path: str, form, name: str, value: str):
    from urllib.parse import urlencode

    data = [(field, value if field == name else sent) for field, sent in form.data()]
    if name not in {field for field, _ in data}:
        data.append((name, value))  # an unchecked box, sent checked with the hostile value
    headers = agent._headers({"Content-Type": "application/x-www-form-urlencoded"})
    response = agent.client.http.post(form.action or page_path, body=urlencode(data), headers=headers)
    agent._remember(response)
    return response


ROLES = ("agency_admin", "client_admin", "agency_staff", "client_member", "anonymous")


def _pages(app, agent, role: str, ids: dict) -> dict[str, str]:
    from tests.support.walk import get_pages

    if role == "anonymous":
        return {path: agent.text(agent.get(path)) for path in ("/login", "/password/forgot")}
    return get_pages(app, agent, ids)


def test_hostile_values_in_every_form_field(app, sign_in, world):
    """Every field of every POST form on every page each role can open (hidden fields, selects and
    boxes too: a script sends what it likes), each sent every class of hostile value: never a 500,
    a blank page or an answer without its message. What a form accepts (``1,000`` points) may be
    saved: only crashes and unreadable answers fail. A form a role shares with one walked before
    (the same action and field) is not walked again. The login form is left to the sign-in tests
    (hostile IDs there would count towards the address's throttle for the rest of the run)."""
    from tests.support.pages import forms
    from tests.support.walk import agency_settings_kept

    wrong, tried, walked, turn = [], set(), set(), 0
    with agency_settings_kept():
        for role in ROLES:
            agent = sign_in(role)
            for path, html in _pages(app, agent, role, world["ids"]).items():
                for form in forms(html):
                    if form.method != "post" or form.action in ("/logout", "/login"):
                        continue
                    names = [name for name in _fields(form) if (form.action, name) not in walked]
                    walked |= {(form.action, name) for name in names}
                    for name, label, value in _sends(names, turn):
                        turn += 1
                        response = _send_form(agent, path, form, name, value)
                        tried.add(label)
                        problem = _html_problem(response)
                        if problem:
                            wrong.append((role, form.action, name, label, problem))
                        if response.status_code < 400 and _versioned(form):  # saved: its revision moved on
                            fresh = [f for f in forms(agent.text(agent.get(path))) if f.action == form.action]
                            form = fresh[0] if fresh else form
    assert tried == set(dict(VALUES)), "every value, in some field"
    assert wrong == [], wrong


def query_parameters() -> set[str]:
    """The query parameters chalicelib/web reads, from its code: ``_query("name")``,
    ``query.get("name")``/``query["name"]`` on ``query = ...query_params``, and
    ``(...query_params or {}).get("name")``."""
    names = set()
    for source in WEB.glob("*.py"):
        text = source.read_text()
        names |= set(re.findall(r'\b_query\("([A-Za-z0-9_]+)"', text))
        names |= set(re.findall(r'\bquery(?:\.get\(|\[)"([A-Za-z0-9_]+)"', text))
        names |= set(re.findall(r'query_params or \{\}\)\.get\("([A-Za-z0-9_]+)"', text))
    return names


# The ways the code may read a query parameter that query_parameters() understands.
_READS = re.compile(r'query_params or \{\}\)\.get\((?:"[A-Za-z0-9_]+"|name)|query = bp\.current_request\.query_params or \{\}')


def test_the_walk_knows_every_way_the_pages_read_the_query():
    """A query parameter read some other way would not be walked: the walk must learn it first."""
    unknown = []
    for source in sorted(WEB.glob("*.py")):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if "query_params" in line and not _READS.search(line):
                unknown.append(f"{source}:{number}: {line.strip()}")
            if re.search(r"\b_query\((?!\")", line) and "def _query" not in line:
                unknown.append(f"{source}:{number}: {line.strip()}")
            if re.search(r"\bquery(?:\.get\(|\[)(?!\")", line):
                unknown.append(f"{source}:{number}: {line.strip()}")
    assert unknown == []
    assert {"after", "month", "notice", "status", "q", "next"} <= query_parameters()


def test_hostile_values_in_every_query_parameter(app, sign_in, world):
    """Every query parameter the pages and the API read, each class of hostile value, on every GET
    page each role can open and every GET operation of the API: never a 500 or an unreadable
    answer. A page a role shares with one walked before is not walked again."""
    from urllib.parse import urlencode

    from tests.support.walk import fill

    names = sorted(query_parameters())
    wrong, walked, turn = [], set(), 0
    for role in ROLES:
        agent = sign_in(role)
        for path in _pages(app, agent, role, world["ids"]):
            if path in walked:
                continue
            walked.add(path)
            turn += 1
            for label, value in one_of_each_class(turn):
                response = agent.get(f"{path}?{urlencode({name: value for name in names})}")
                problem = _html_problem(response)
                if problem:
                    wrong.append((role, path, label, problem))
        if role == "anonymous":
            continue
        document = json.loads(agent.get("/api/openapi.json").body)
        for path, ops in document["paths"].items():
            op = ops.get("get")
            if not isinstance(op, dict):
                continue
            params = sorted({p["name"] for p in op.get("parameters", []) if p.get("in") == "query"} | set(names))
            turn += 1
            for label, value in one_of_each_class(turn):
                response = agent.get(f"{fill(path, world['ids'])}?{urlencode({name: value for name in params})}")
                problem = _api_problem(response)
                if problem:
                    wrong.append((role, path, label, problem))
    assert wrong == [], wrong


def _schema(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


# Hostile numbers as JSON numbers, written as a script would (json.dumps cannot write some).
JSON_NUMBERS = ["1e3", "1" * 29, "9" * 40, "-0", "NaN", "Infinity", "1.5", "9" * 5000]


@pytest.mark.parametrize("role", ["client_admin", "agency_admin"])
def test_hostile_values_in_every_api_property(sign_in, world, role):
    """Every property of every API request body in /api/openapi.json, each hostile value (as a
    string, in a list where it takes a list, and as a JSON number): a 4xx with a JSON message or a
    success, never a 500. The body's other required properties are sent valid, so the hostile one
    is what is read."""
    agent = sign_in(role)
    document = json.loads(agent.get("/api/openapi.json").body)
    request_id = world["request"].request_id
    valid = {"title": "件名", "body": "本文", "revision": 0, "file_name": "a.png", "content_type": "image/png",
             "size": 10, "memo": "メモ"}
    wrong, walked = [], 0
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            content = (op.get("requestBody") or {}).get("content", {}).get(JSON_TYPE)
            if not content:
                continue
            schema = _schema(document, content["schema"])
            target = path.replace("{request_id}", request_id)
            for turn, (name, prop) in enumerate(schema.get("properties", {}).items()):
                walked += 1
                prop = _schema(document, prop)
                base = {key: valid.get(key, "x") for key in schema.get("required", []) if key != name}
                if "revision" in base:
                    base["revision"] = json.loads(agent.api("GET", f"/api/requests/{request_id}").body)["request"]["revision"]
                sent = [json.dumps(value) for _, value in one_of_each_class(turn)]
                if prop.get("type") == "array":
                    sent = [json.dumps([value]) for _, value in one_of_each_class(turn)] + sent[:2]
                sent += JSON_NUMBERS if prop.get("type") in ("integer", "number") else JSON_NUMBERS[:2]
                for raw in sent:
                    body = json.dumps(base)[:-1] + ("," if base else "") + f'{json.dumps(name)}:{raw}}}'
                    response = _api_raw(agent, method.upper(), target, body.encode())
                    problem = _api_problem(response)
                    if problem:
                        wrong.append((method, path, name, raw[:20], problem))
    assert walked > 5
    assert wrong == [], wrong


def test_the_corpus_has_every_class_the_issue_names():
    """The shared corpus (tests/support/hostile.py) holds each kind of value the probe used."""
    values = dict(VALUES).values()
    for needed in ("\u00b2", "\u0663", "\u2460", "\u3000", "\u00a0", "\u2003", "\u2028", "\u2029", "\u0085", "\r",
                   "\x0b", "\x0c", "\x00", "\u202e", "\u2066"):
        assert any(needed in value for value in values), repr(needed)
    for needed in ("1" * 29, "9" * 40, "1e3", "1,000", "-0", "NaN", "9999-12-31", "20270105", "2026-W05-3", "2026-13",
                   "0000-00-00"):
        assert needed in values, needed
    assert sorted(CLASSES) and all(CLASSES.values())


POINT_VALUES = ["1" * 29, "9" * 40, "1e3", "NaN", "Infinity", "-0", "²", "٣", "①", "9" * 5000, "1,0", "0x10"]
POINT_MESSAGES = [t("points.number"), t("points.too_large", max=9999), t("points.positive"), t("points.nonzero")]


def test_hostile_points_get_a_400_with_the_message_at_the_field(sign_in, world):
    """Points typed into the estimate, a top-up, an adjustment, a contract and the ポイント表: 29
    digits raised decimal.InvalidOperation (a 500); ``1e3`` was read as 1000 and Unicode digits as
    digits. Each is refused with the points message at its own field."""
    from tests.support.pages import forms
    from tests.support.walk import submit

    agent = sign_in("agency_admin")
    company_id, request_id = world["company"].company_id, world["request"].request_id
    cases = [(f"/requests/{request_id}", f"/requests/{request_id}/estimate", "points_0",
              {"menu_0": "", "name_0": "作業"}),
             (f"/clients/{company_id}", f"/clients/{company_id}/topup", "topup_points", {}),
             (f"/clients/{company_id}", f"/clients/{company_id}/adjust", "adjust_points", {}),
             (f"/clients/{company_id}", f"/clients/{company_id}/contract", "points", {}),
             ("/points/menu", "/points/menu", "points", {"category": "テキスト", "name": "文言"})]
    wrong = []
    for page_path, action, name, others in cases:
        form = next(f for f in forms(agent.text(agent.get(page_path))) if f.action == action)
        for value in POINT_VALUES:
            response = submit(agent, page_path, form, {**others, name: value})
            shown = re.search(rf'id="{name}-error">([^<]*)<', agent.text(response))
            if response.status_code != 400 or not shown or shown.group(1) not in POINT_MESSAGES:
                wrong.append((action, value[:12], response.status_code, shown and shown.group(1)))
    assert wrong == []
