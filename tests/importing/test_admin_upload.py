"""The admin's "Import from a file" form: a real multipart POST with CSRF, as a logged-in staff user."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from studio.models import Dataset, GoldLabel, ImportJob
from tests.waiting import wait_for

from .helpers import db_state, jsonl_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(admin_user):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="boss", password="boss-pass-123")
    return client


def csrf_token(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def form_data(token, upload, **overrides):
    data = {"csrfmiddlewaretoken": token, "file": upload, "name": "Uploaded reviews", "fmt": "",
            "fields": "text=text", "id_column": "id", "label_column": "label", "group_column": "",
            "key_column": "", "split_column": "", "human_label_column": "", "split": "train",
            "task_type": "text", "consistency": "none",
            "prompt_template": "Review: {text}\r\nClaim: it is positive.\r\nI think this claim is",
            "question": "Is the review positive?", "description": "", "source_credit": "my lab"}
    data.update(overrides)
    return data


def test_changelist_links_to_the_import_form(staff_client):
    page = staff_client.get(reverse("admin:studio_dataset_changelist"))
    assert reverse("admin:studio_dataset_import") in page.content.decode()
    assert "Import from a file" in page.content.decode()


def finished_job(name: str) -> ImportJob:
    def done():
        job = ImportJob.objects.filter(name=name).first()
        return job if job and job.state in ("completed", "failed") else None

    return wait_for(done, 90, f"import job {name!r} to finish")


def test_upload_is_queued_as_a_job_and_its_page_shows_the_state(import_worker, staff_client):
    """The form queues an import job (as the API does) instead of importing inside the request (issue 16)."""
    url = reverse("admin:studio_dataset_import")
    upload = SimpleUploadedFile("reviews.jsonl", "\n".join(jsonl_lines(120)).encode(), "application/jsonl")
    response = staff_client.post(url, form_data(csrf_token(staff_client, url), upload), follow=True)
    job = ImportJob.objects.get(name="Uploaded reviews")
    assert response.redirect_chain[-1][0] == reverse("admin:studio_importjob_change", args=[job.pk])
    assert f"Import job #{job.pk} for &#x27;Uploaded reviews&#x27; is queued" in response.content.decode()
    job = finished_job("Uploaded reviews")
    assert job.state == "completed", job.error
    ds = Dataset.objects.get(name="Uploaded reviews")
    assert ds.examples.count() == 120 and ds.source == "my lab" and ds.task_type == "text"
    assert ds.prompt_template == "Review: {text}\nClaim: it is positive.\nI think this claim is"
    assert GoldLabel.objects.filter(example__dataset=ds, label=True).count() == 40
    assert ds.examples.get(external_id="r1").fields == {"text": "sentence number 1"}
    page = staff_client.get(reverse("admin:studio_importjob_change", args=[job.pk])).content.decode()
    assert "completed" in page.lower()


def test_bad_files_fail_their_job_with_the_row_and_import_nothing(import_worker, staff_client):
    url = reverse("admin:studio_dataset_import")
    token = csrf_token(staff_client, url)
    before = db_state()
    bad = {37: '{"id": "r37", "text": "x", "label": tru}'}
    upload = SimpleUploadedFile("reviews.jsonl", "\n".join(jsonl_lines(50, bad=bad)).encode())
    staff_client.post(url, form_data(token, upload, name="Broken JSON"))
    job = finished_job("Broken JSON")
    assert job.state == "failed" and job.error_row == 37 and "invalid JSON: Expecting value" in job.error
    nested = '{"id": "r2", "text": "x", "label": 1, "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    upload = SimpleUploadedFile("deep.jsonl", ('{"id": "r1", "text": "x", "label": 1}\n' + nested).encode())
    staff_client.post(url, form_data(token, upload, name="Nested"))
    job = finished_job("Nested")
    assert job.state == "failed" and job.error_row == 2 and "nested too deeply" in job.error
    upload = SimpleUploadedFile("reviews.csv", b"id,text,label\nr1,good,1\nr2,bad,maybe\n")
    staff_client.post(url, form_data(token, upload, name="Broken CSV"))
    job = finished_job("Broken CSV")
    assert job.error_row == 2 and "expected a boolean (true/false/0/1), got 'maybe'" in job.error
    assert db_state()[1:] == before[1:]  # no examples, gold or votes
    assert not Dataset.objects.filter(name__in=["Broken JSON", "Nested", "Broken CSV"]).exists()


def test_a_file_over_the_size_cap_is_refused_on_the_form(staff_client, settings):
    settings.ADMIN_IMPORT_MAX_BYTES = 1000
    url = reverse("admin:studio_dataset_import")
    upload = SimpleUploadedFile("reviews.jsonl", "\n".join(jsonl_lines(100)).encode())
    page = staff_client.post(url, form_data(csrf_token(staff_client, url), upload)).content.decode()
    assert "this form takes at most 1,000 bytes (setting ADMIN_IMPORT_MAX_BYTES)" in page
    assert not ImportJob.objects.exists() and not Dataset.objects.exists()


def test_gold_column_cannot_be_shown_to_annotators(staff_client):
    url = reverse("admin:studio_dataset_import")
    upload = SimpleUploadedFile("reviews.jsonl", "\n".join(jsonl_lines(3)).encode())
    page = staff_client.post(url, form_data(csrf_token(staff_client, url), upload, fields="text=text\nhint=label")
                             ).content.decode()
    assert "column &#x27;label&#x27; is the gold label; it cannot also be &#x27;hint&#x27;" in page
    assert not Dataset.objects.exists()


def test_non_staff_cannot_reach_the_form(client, django_user_model):
    django_user_model.objects.create_user("annie", password="annie-pass-123")
    client.login(username="annie", password="annie-pass-123")
    response = client.get(reverse("admin:studio_dataset_import"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
