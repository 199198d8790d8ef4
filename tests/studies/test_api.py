"""/api/studies/: the dataset's reviewers read, admins create (the service's refusals answer 400/409 naming the
field), others see nothing; anonymous callers get 401."""
import pytest
from rest_framework.test import APIClient

from studio.models import Membership, Study
from tests.studies.factories import pairs_dataset, people

pytestmark = pytest.mark.django_db

BODY = {"template": "blog-gender", "name": "api study", "icm_pool_size": 8, "people_train_size": 4, "test_size": 4,
        "annotators_per_item": 1}


@pytest.fixture
def ds():
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 1)
    return ds


def _client(user=None):
    c = APIClient()
    if user:
        c.force_authenticate(user)
    return c


def test_admin_creates_reviewer_reads_others_see_nothing(ds, admin_user, django_user_model):
    created = _client(admin_user).post("/api/studies/", {**BODY, "dataset": ds.pk}, format="json")
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    assert len(created.json()["icm_pool_ids"]) == 8
    reviewer = django_user_model.objects.create_user("rev", password="pw-123456789")
    Membership.objects.create(user=reviewer, dataset=ds, role=Membership.Role.REVIEWER)
    assert _client(reviewer).get(f"/api/studies/{sid}/").json()["name"] == "api study"
    assert _client(reviewer).post("/api/studies/", {**BODY, "dataset": ds.pk, "name": "x"},
                                  format="json").status_code == 403
    stranger = django_user_model.objects.create_user("who", password="pw-123456789")
    Membership.objects.create(user=stranger, dataset=ds, role=Membership.Role.ANNOTATOR)
    assert _client(stranger).get("/api/studies/").json()["results"] == []
    assert _client(stranger).get(f"/api/studies/{sid}/").status_code == 404
    assert _client().get("/api/studies/").status_code == 401
    assert Study.objects.count() == 1


def test_bad_values_answer_400_naming_the_field(ds, admin_user):
    response = _client(admin_user).post("/api/studies/", {**BODY, "dataset": ds.pk, "test_size": 999}, format="json")
    assert response.status_code == 400
    assert "test_size" in response.json() and "more than" in response.json()["test_size"]
    _client(admin_user).post("/api/studies/", {**BODY, "dataset": ds.pk}, format="json")
    again = _client(admin_user).post("/api/studies/", {**BODY, "dataset": ds.pk}, format="json")
    assert again.status_code == 409 and "already exists" in again.json()["detail"]
    assert Study.objects.count() == 1
