"""Property-based run of schemathesis against /api/schema/, in process (the WSGI app), authenticated as an
admin: no response may be a server error, and every response must match the schema (status code, content
type, body, headers). Bounded: a few examples per operation, so the whole run takes about a minute."""
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
