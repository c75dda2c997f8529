"""The JSON API fuzzed from its own OpenAPI document (/api/openapi.json) with Hypothesis.

Threat: a body, path or query the handlers did not foresee crashing one into a 500 (an error
page that may leak internals) or answering outside the documented contract, which clients
then parse wrongly. Every operation of the document is called with bodies drawn from its
request schema (valid ones, to reach the rules) and from arbitrary JSON (to reach the parsers),
by a client and by the agency; every answer must be a documented status whose body matches
the documented schema. Derandomised, so a run is the same on every machine and in CI.
"""
from __future__ import annotations

import json
import string
from urllib.parse import urlencode

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.support.walk import all_routes

EXAMPLES_PER_OPERATION = 60
METHODS = ("get", "post", "put", "patch", "delete")
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _document(client) -> dict:
    response = client.http.get("/api/openapi.json")
    assert response.status_code == 200
    return json.loads(response.body)


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                params = item.get("parameters", []) + item[method].get("parameters", [])
                yield path, method, item[method], params


def _with_components(schema: dict, document: dict) -> dict:
    """A schema whose local $refs resolve: the document's components travel with it."""
    return {**schema, "components": document["components"]}


def _bodies(schema: dict, document: dict):
    """Values valid for ``schema``: objects built here (hypothesis-jsonschema's object strategy
    relies on Hypothesis internals that current releases changed), everything else from it."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _bodies(document["components"]["schemas"][name], document)
    if schema.get("type") == "object" and "properties" in schema:
        properties = {name: _bodies(sub, document) for name, sub in schema["properties"].items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries({n: v for n, v in properties.items() if n in required},
                                     optional={n: v for n, v in properties.items() if n not in required})
    return from_schema({key: value for key, value in schema.items() if key != "description"})


def test_the_document_names_every_api_route(app, client):
    """A route missing from the document is a route nobody fuzzes and no client can rely on."""
    document = _document(client)
    documented = {(method.upper(), path) for path, method, _, _ in _operations(document)}
    routes = {(method, route) for method, route in all_routes(app) if route.startswith("/api/")}
    assert routes - {("GET", "/api/openapi.json")} == documented


def test_every_operation_answers_as_documented_whatever_it_is_sent(client, sign_in, world):
    document = _document(client)
    agents = {role: sign_in(role) for role in ("client_member", "agency_staff", "anonymous")}
    tokens = {role: json.loads(agent.get("/api/session").body).get("csrf_token", "") for role, agent in agents.items()}
    known_ids = [world["request"].request_id, "0" * 26]
    identifiers = st.sampled_from(known_ids) | st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=30)
    problems: list = []

    for path, method, operation, params in _operations(document):
        body_schema = (operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))
        bodies = st.none() if body_schema is None else (
            _bodies(body_schema, document) | ANY_JSON)
        path_names = [p["name"] for p in params if p["in"] == "path"]
        query_names = [p["name"] for p in params if p["in"] == "query"]
        queries = st.dictionaries(st.sampled_from(query_names), st.text(max_size=20), max_size=3) if query_names \
            else st.just({})

        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(role=st.sampled_from(sorted(agents)), body=bodies,
               ids=st.fixed_dictionaries({name: identifiers for name in path_names}), query=queries)
        def call(role, body, ids, query):
            agent = agents[role]
            url = path.format(**ids) + (("?" + urlencode(query)) if query else "")
            headers = {"X-CSRF-Token": tokens[role]}
            if body_schema is not None:
                headers["Content-Type"] = "application/json"
            response = agent.client.http.request(method.upper(), url, headers=agent._headers(headers),
                                                 body=json.dumps(body) if body is not None else None)
            where = (method, url, role, json.dumps(body, ensure_ascii=False)[:200], response.status_code)
            documented = operation["responses"].get(str(response.status_code))
            if response.status_code >= 500 or documented is None:
                problems.append(("status", where, response.body[:200]))
                return
            try:
                answer = json.loads(response.body)
                schema = documented["content"]["application/json"]["schema"]
                jsonschema.validate(answer, _with_components(schema, document))
            except (ValueError, jsonschema.ValidationError) as error:
                problems.append(("schema", where, str(error)[:300]))

        call()
    assert problems == []
