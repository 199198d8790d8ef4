"""Property-based run of schemathesis against /api/schema/, in process (the WSGI app), authenticated as an
admin and as an annotator: no response may be a server error, and every response must match the schema (status
code, content type, body, headers). Then hostile input for every operation (issue 16): bodies nested 5,000 deep,
numbers past any id or float (1e999, 30 digits), 200 KB strings, in every body property, query parameter and
path id, as an admin and as an annotator: still no server error. Bounded: a few examples per operation, so the
whole file takes about a minute and a half on 2 cores."""
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from studio.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


# The schema endpoint is public and reads no table, so it can be loaded when the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def in_process(db, settings, tmp_path):
    """Requests go through the raw WSGI handler inside the test's transaction: like Django's test client,
    keep the request signals from closing the test's connection."""
    settings.MEDIA_ROOT = tmp_path  # uploads of POST /api/imports/ (their jobs never run: no commit)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema(case, in_process, world):
    response = case.call(headers={"Authorization": f"Token {world.keys['admin']}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema_for_an_annotator(case, in_process, world):
    """The caller who may do least: refusals (403/404) must be answers the schema names, never a 500."""
    response = case.call(headers={"Authorization": f"Token {world.keys['annotator']}"})
    case.validate_response(response, checks=CHECKS)


# Generated ids rarely hit a real row, so also check responses about the fixture's real objects, for a
# caller who sees everything (admin) and one who sees least (annotator: nulls where gold and keys would be).
REAL = [
    ("GET", "/api/datasets/", lambda w: {}, {}),
    ("GET", "/api/datasets/{id}/", lambda w: {"id": w.a.pk}, {}),
    ("GET", "/api/datasets/{id}/metrics/", lambda w: {"id": w.a.pk}, {"split": "train"}),
    ("GET", "/api/examples/", lambda w: {}, {"dataset": 0}),
    ("GET", "/api/examples/{id}/", lambda w: {"id": w.examples_a[0].pk}, {}),
    ("GET", "/api/human-labels/", lambda w: {}, {}),
    ("GET", "/api/human-labels/{id}/", lambda w: {"id": w.own_label.pk}, {}),
    ("GET", "/api/runs/", lambda w: {}, {}),
    ("GET", "/api/runs/{id}/", lambda w: {"id": w.run_a.pk}, {}),
    ("GET", "/api/runs/{id}/events/", lambda w: {"id": w.run_a.pk}, {}),
    ("GET", "/api/runs/{id}/export/", lambda w: {"id": w.run_a.pk}, {"format": "csv"}),
    ("GET", "/api/runs/{id}/export/labelstudio/", lambda w: {"id": w.run_a.pk}, {}),
    ("GET", "/api/elicited-labels/", lambda w: {}, {}),
    ("GET", "/api/elicited-labels/{id}/", lambda w: {"id": w.elicited_a.pk}, {}),
    ("GET", "/api/imports/{id}/", lambda w: {"id": w.import_job.pk}, {}),
    ("POST", "/api/runs/{id}/cancel/", lambda w: {"id": w.active_run_a.pk}, {}),
    ("POST", "/api/datasets/{id}/next-example/", lambda w: {"id": w.a.pk}, {}),
]


@pytest.mark.parametrize("role", ["admin", "annotator"])
def test_real_objects_match_the_schema(in_process, world, role):
    statuses = []
    for method, path, path_parameters, query in REAL:
        query = {k: (world.a.pk if k == "dataset" else v) for k, v in query.items()}
        case = schema[path][method].Case(path_parameters=path_parameters(world), query=query)
        response = case.call(headers={"Authorization": f"Token {world.keys[role]}"})
        case.validate_response(response, checks=CHECKS)
        statuses.append(response.status_code)
    assert statuses.count(200) >= (15 if role == "admin" else 6), statuses


# --- Hostile input (issue 16): every operation, every input, values no schema would generate -------------------

DEEP = "[" * 5000 + "]" * 5000
HOSTILE = ["1e999", "-1e999", "1" + "0" * 30, "-" + "9" * 30, '"' + "x" * 200_000 + '"', DEEP,
           '{"a": ' + DEEP + "}"]
HOSTILE_QUERY = ["9" * 30, "1e999", "-1e999", "NaN", "x" * 10_000]
HOSTILE_IDS = ["9" * 30, "1e999", "-1"]


def _operations():
    return [result.ok() for result in schema.get_all_operations()]


def _properties(op) -> list[str]:
    for body in op.body:
        if body.media_type == "application/json":
            definition = body.definition.get("schema") or {}
            ref = definition.get("$ref", "")
            resolved = definition.get("x-bundled", {}).get(ref.rsplit("/", 1)[-1], definition) if ref else definition
            return list(resolved.get("properties", {}))
    return []


def _real_ids(world) -> dict[str, int]:
    return {"/api/datasets/": world.a.pk, "/api/examples/": world.examples_a[0].pk,
            "/api/human-labels/": world.own_label.pk, "/api/runs/": world.run_a.pk,
            "/api/elicited-labels/": world.elicited_a.pk, "/api/imports/": world.import_job.pk}


def _requests(op, world):
    """(path parameters, query, raw JSON body or None) for each hostile value this operation takes."""
    real = {"id": next((pk for prefix, pk in _real_ids(world).items() if op.path.startswith(prefix)), 1)}
    has_id = "{id}" in op.path
    for value in HOSTILE_IDS if has_id else []:
        yield {"id": value}, {}, None
    path = real if has_id else {}
    for param in op.query:
        for value in HOSTILE_QUERY:
            yield path, {param.name: value}, None
    properties = _properties(op)
    if op.method.upper() in ("POST", "PUT", "PATCH") and properties:
        for value in HOSTILE:
            yield path, {}, value  # the whole body
            yield path, {}, "{" + ", ".join(f'"{name}": {value}' for name in properties) + "}"
            for name in properties:  # one at a time too: the others missing must not hide a crash behind a 400
                yield path, {}, "{" + f'"{name}": {value}' + "}"
        if "config" in properties:
            yield path, {}, '{"dataset": %d, "config": {"iterations": 1e999, "alpha": 1e999, "seed": %s}}' % (
                world.a.pk, "9" * 30)


@pytest.mark.parametrize("role", ["admin", "annotator"])
def test_hostile_input_never_answers_a_server_error(in_process, world, role):
    failures, sent = [], 0
    for op in _operations():
        if op.path == "/api/imports/" and op.method.upper() == "POST":
            continue  # multipart uploads: tests/api/test_validation.py and tests/importing cover them
        for path_parameters, query, raw in _requests(op, world):
            case = op.Case(path_parameters=path_parameters, query=query)
            headers = {"Authorization": f"Token {world.keys[role]}"}
            extra = {}
            if raw is not None:
                headers["Content-Type"] = "application/json"
                extra["data"] = raw.encode()
            response = case.call(headers=headers, **extra)
            sent += 1
            if response.status_code >= 500:
                failures.append((op.method, op.path, path_parameters, query, (raw or "")[:60], response.status_code))
    assert sent > 300
    assert not failures, failures
