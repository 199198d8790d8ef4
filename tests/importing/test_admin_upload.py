"""The admin's "Import from a file" form: a real multipart POST with CSRF, as a logged-in staff user."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from studio.models import Dataset, GoldLabel

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


def test_upload_imports_and_redirects_to_the_new_dataset(staff_client):
    url = reverse("admin:studio_dataset_import")
    upload = SimpleUploadedFile("reviews.jsonl", "\n".join(jsonl_lines(120)).encode(), "application/jsonl")
    response = staff_client.post(url, form_data(csrf_token(staff_client, url), upload), follow=True)
    ds = Dataset.objects.get(name="Uploaded reviews")
    assert response.redirect_chain[-1][0] == reverse("admin:studio_dataset_change", args=[ds.pk])
    assert "Imported 120 examples (120 train), 120 gold labels into &#x27;Uploaded reviews&#x27;." in \
        response.content.decode()
    assert ds.examples.count() == 120 and ds.source == "my lab" and ds.task_type == "text"
    assert ds.prompt_template == "Review: {text}\nClaim: it is positive.\nI think this claim is"
    assert GoldLabel.objects.filter(example__dataset=ds, label=True).count() == 40
    assert ds.examples.get(external_id="r1").fields == {"text": "sentence number 1"}


def test_bad_file_shows_the_error_and_imports_nothing(staff_client):
    url = reverse("admin:studio_dataset_import")
    token = csrf_token(staff_client, url)
    before = db_state()
    upload = SimpleUploadedFile("reviews.jsonl",
                                "\n".join(jsonl_lines(50, bad={37: '{"id": "r37", "text": "x", "label": tru}'})).encode())
    response = staff_client.post(url, form_data(token, upload))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported. row 37: invalid JSON: Expecting value" in page
    assert db_state() == before

    upload = SimpleUploadedFile("reviews.csv", b"id,text,label\nr1,good,1\nr2,bad,maybe\n")
    page = staff_client.post(url, form_data(token, upload)).content.decode()
    assert "row 2 (line 3), field &#x27;label&#x27;: expected a boolean (true/false/0/1), got &#x27;maybe&#x27;" in page
    assert db_state() == before


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
