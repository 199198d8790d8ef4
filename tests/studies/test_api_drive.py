"""The studies API drives a study from creation to its downloads with an API token (no session): create, open
labeling, the people label through the real annotation queue (in-process, as the labeling page does), close
labeling, start ICM and the evaluation (each asks for confirm=true above STUDIO_CONFIRM_RUN_SECONDS: 409 with the
estimate, nothing started), then the results as JSON, CSV and the figure's SVG. The worker's part is stood in:
the started run is marked completed and the evaluation's results are the studies factories' (built as the
evaluation writes them); tests/studies/test_browser.py runs both on the bundled model for real."""
import csv
import io

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from studio.models import ElicitationRun, Evaluation, Study
from studio.services import annotation
from studio.services.api_tokens import create_token
from tests.studies.factories import completed_evaluation, pairs_dataset, people

pytestmark = pytest.mark.django_db


def _token_client(user) -> APIClient:
    _, key = create_token(user, "script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _label_all(user, dataset):
    while (ex := annotation.next_example(user, dataset)) is not None:
        annotation.submit_label(user, ex, ex.pk % 2 == 0)


def test_the_api_drives_a_study_from_creation_to_downloads_with_a_token(admin_user, settings):
    settings.STUDIO_CONFIRM_RUN_SECONDS = 0  # every step is "long": each start needs confirm=true
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    p0, p1, p2 = people(ds, 3)
    api = _token_client(admin_user)

    designs = api.get("/api/studies/designs/", {"dataset": ds.pk, "template": "blog-gender"})
    assert designs.status_code == 200, designs.content
    assert [d["key"] for d in designs.json()["designs"]] == ["paper", "reduced"]
    assert designs.json()["offered"] == "reduced"  # nothing fits under a zero limit; the reduced design is offered

    created = api.post("/api/studies/", {"dataset": ds.pk, "template": "blog-gender", "name": "scripted",
                                         "design": "reduced", "annotators_per_item": 3}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    sid = body["id"]
    assert body["design"] == "reduced" and body["settings"]["iterations"] == 8  # the design's, not 3,000
    assert (len(body["icm_pool_ids"]), len(body["test_ids"]), body["annotators_per_item"]) == (16, 8, 3)

    assert api.post(f"/api/studies/{sid}/open-labeling/").json()["labeling_open"] is True
    ds.refresh_from_db()  # opening labeling wrote the study's k as the dataset's overlap
    for person in (p0, p1, p2):
        _label_all(person, ds)
    assert api.post(f"/api/studies/{sid}/close-labeling/").json()["labeling_open"] is False

    unconfirmed = api.post(f"/api/studies/{sid}/start-icm/", {}, format="json")
    assert unconfirmed.status_code == 409, unconfirmed.content
    assert unconfirmed.json()["estimate"]["needs_confirmation"] is True and "confirm" in unconfirmed.json()
    assert ElicitationRun.objects.count() == 0
    started = api.post(f"/api/studies/{sid}/start-icm/", {"confirm": True}, format="json")
    assert started.status_code == 200, started.content
    run_id = started.json()["run"]
    ElicitationRun.objects.filter(pk=run_id).update(state=ElicitationRun.State.COMPLETED, finished_at=timezone.now())

    early = api.get(f"/api/studies/{sid}/results/")
    assert early.status_code == 409 and "not started" in early.json()["detail"]
    unconfirmed = api.post(f"/api/studies/{sid}/start-evaluation/", {}, format="json")
    assert unconfirmed.status_code == 409 and "estimate" in unconfirmed.json(), unconfirmed.content
    assert Evaluation.objects.count() == 0
    started = api.post(f"/api/studies/{sid}/start-evaluation/", {"confirm": True}, format="json")
    assert started.status_code == 200 and started.json()["evaluation"], started.content
    steps = api.get(f"/api/studies/{sid}/steps/").json()
    assert [s["state"] for s in steps["steps"]][:3] == ["done", "done", "running"], steps
    completed_evaluation(Study.objects.get(pk=sid))  # the worker's results, stood in

    results = api.get(f"/api/studies/{sid}/results/")
    assert results.status_code == 200, results.content
    data = results.json()
    assert {r["name"] for r in data["rows"] if r["group"] == "annotator"} == {"person0", "person1", "person2"}
    assert data["design"]["annotators_per_item"] == 3 and data["design"]["design"] == "reduced"
    table = api.get(f"/api/studies/{sid}/results-csv/")
    assert table.status_code == 200 and table["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.content.decode())))
    assert rows[0][:3] == ["group", "key", "name"] and any("person0" in r for r in rows)
    svg = api.get(f"/api/studies/{sid}/figure/")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.decode().lstrip().startswith("<svg") and "person0" in svg.content.decode()
    assert APIClient().get(f"/api/studies/{sid}/figure/").status_code == 401


def test_refusals_name_every_field_at_once_and_k_above_the_people(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 2)
    api = _token_client(admin_user)
    response = api.post("/api/studies/", {"dataset": ds.pk, "template": "blog-gender", "name": "",
                                          "annotators_per_item": 5, "test_size": 999, "repeats": 0}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    for field, words in (("name", "give the study a name"), ("repeats", "from 1 to 10"),
                         ("annotators_per_item", "has 2 annotators"), ("test_size", "more than")):
        assert field in body and words in body[field], (field, body)
    assert Study.objects.count() == 0
    chosen = api.post("/api/studies/", {"dataset": ds.pk, "template": "blog-gender", "name": "two",
                                        "annotators_per_item": 3, "annotators": ["person0", "person1"]},
                      format="json")
    assert chosen.status_code == 400 and "2 chosen" in chosen.json()["annotators_per_item"]


def test_schema_lists_the_study_steps_and_downloads(admin_client):
    schema = admin_client.get("/api/schema/").content.decode()
    for path in ("/api/studies/{id}/open-labeling/", "/api/studies/{id}/close-labeling/",
                 "/api/studies/{id}/start-icm/", "/api/studies/{id}/start-evaluation/", "/api/studies/{id}/results/",
                 "/api/studies/{id}/results-csv/", "/api/studies/{id}/figure/", "/api/studies/designs/"):
        assert path in schema, path
