"""The Django admin adds a study through the same plan as the page and the API: items chosen, a bad value shown
on its field and nothing written."""
import pytest

from studio.models import Study
from tests.studies.factories import pairs_dataset, people

pytestmark = pytest.mark.django_db


def test_admin_adds_a_study_and_shows_refusals_on_fields(client, admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 1)
    client.force_login(admin_user)
    form = {"name": "from admin", "dataset": ds.pk, "template": "blog-gender", "icm_pool_size": "8",
            "people_train_size": "4", "test_size": "99", "annotators_per_item": "1", "model": "smollm2",
            "settings": "{}"}
    bad = client.post("/admin/studio/study/add/", form)
    assert bad.status_code == 200 and "test_size: 99 is more than" in bad.content.decode()
    assert Study.objects.count() == 0
    ok = client.post("/admin/studio/study/add/", {**form, "test_size": "4"})
    assert ok.status_code == 302, ok.content.decode()[:2000]
    study = Study.objects.get()
    assert len(study.icm_pool_ids) == 8 and len(study.test_ids) == 4 and study.created_by == admin_user


def test_new_study_page_creates_and_lists(client, admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 1)
    client.force_login(admin_user)
    page = client.get(f"/studies/new/?dataset={ds.pk}&template=blog-gender").content.decode()
    assert "blog-gender" in page and 'id="study-templates"' in page
    bad = client.post("/studies/new/", {"dataset": ds.pk, "template": "sst2", "name": "page"}).content.decode()
    assert "is for the &#x27;sst2&#x27; preset" in bad and Study.objects.count() == 0
    done = client.post("/studies/new/", {"dataset": ds.pk, "template": "blog-gender", "name": "page",
                                         "icm_pool_size": 8, "people_train_size": 4, "test_size": 4,
                                         "annotators_per_item": 1, "settings": "{}"})
    study = Study.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/studies/{study.pk}/"
    assert "page" in client.get("/studies/").content.decode()
    home = client.get("/").content.decode()
    assert 'data-action="new-study"' in home
