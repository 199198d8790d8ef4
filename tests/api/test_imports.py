"""Import over the API: upload, then a real Celery worker (default queue, Redis, the test database) runs the
import; the status endpoint says how it went. A bad file fails with its row and field, and writes nothing."""
import io
import json

import pytest
from rest_framework.test import APIClient

from studio.models import Dataset, GoldLabel, HumanLabel
from tests.waiting import wait_for

from .labelstudio_files import sentiment_export


@pytest.fixture
def admin_client(transactional_db, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("importer", is_staff=True, is_superuser=True))
    return client


def upload(client, content: bytes, filename: str, **form):
    f = io.BytesIO(content)
    f.name = filename
    response = client.post("/api/imports/", {"file": f, **form}, format="multipart")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "pending"
    return response.json()["id"]


def finished(client, job_id: int) -> dict:
    def done():
        body = client.get(f"/api/imports/{job_id}/").json()
        return body if body["state"] in ("completed", "failed") else None

    return wait_for(done, 90, f"import job {job_id} to finish")


def test_uploads_are_imported_by_the_worker(import_worker, admin_client, tmp_path):
    rows = [{"uid": f"r{i}", "review": f"review number {i}", "gold": i % 2, "votes": [True, i % 3 == 0]}
            for i in range(25)]
    content = "\n".join(json.dumps(r) for r in rows).encode()
    job_id = upload(admin_client, content, "reviews.jsonl", name="Uploaded reviews", task_type="text",
                    mapping=json.dumps({"id": "uid", "text": "review", "label": "gold", "human_label": "votes"}),
                    question="Is the review positive?")
    job = finished(admin_client, job_id)
    assert job["state"] == "completed", job
    dataset = Dataset.objects.get(pk=job["dataset"])
    assert dataset.name == "Uploaded reviews" and dataset.question == "Is the review positive?"
    assert job["example_count"] == dataset.examples.count() == 25
    assert GoldLabel.objects.filter(example__dataset=dataset).count() == 25
    assert HumanLabel.objects.filter(example__dataset=dataset, source="crowd").count() == 50
    assert not list((tmp_path / "media").rglob("*.jsonl")), "the upload is deleted once imported"

    # A Label Studio export, through the same endpoint.
    ls = json.dumps(sentiment_export()).encode()
    job = finished(admin_client, upload(admin_client, ls, "project-3.json", name="From Label Studio",
                                        format="labelstudio", true_choice="Positive"))
    assert job["state"] == "completed", job
    assert Dataset.objects.get(pk=job["dataset"]).examples.count() == 3


def test_a_bad_row_fails_the_job_and_writes_nothing(import_worker, admin_client):
    good = "\n".join(f"id{i},text {i},true" for i in range(300))
    content = f"id,text,label\n{good}\nid300,text 300,maybe\n".encode()
    job_id = upload(admin_client, content, "claims.csv", name="Broken upload",
                    mapping="id=id,text=text,label=label")
    job = finished(admin_client, job_id)
    assert job["state"] == "failed"
    assert job["error_row"] == 301 and job["error_field"] == "label"
    assert "maybe" in job["error"] and "row 301" in job["error"]
    assert job["dataset"] is None
    assert not Dataset.objects.filter(name="Broken upload").exists()
