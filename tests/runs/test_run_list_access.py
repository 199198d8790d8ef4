"""/runs/ for each kind of visitor (issue 15): someone who may see no run is told so on the studio's 403 page
(not "No runs yet." while runs exist); a reviewer sees their datasets' runs, or is told there are none yet."""
import pytest

from studio.models import ElicitationRun, Membership
from studio.views.runs import NO_ACCESS
from tests.support.datasets import make_sst2_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs_exist(sst2_dataset):
    return ElicitationRun.objects.create(dataset=sst2_dataset, state="completed", fingerprint="list-access")


def _user(django_user_model, name, dataset=None, role=None):
    user = django_user_model.objects.create_user(name, password=f"{name}-pass-123")
    if dataset is not None:
        Membership.objects.create(user=user, dataset=dataset, role=role)
    return user


def test_an_annotator_is_told_they_have_no_access_while_runs_exist(client, django_user_model, sst2_dataset,
                                                                  runs_exist):
    client.force_login(_user(django_user_model, "ann", sst2_dataset, "annotator"))
    response = client.get("/runs/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You have no access to ICM runs" in html and "Ask an admin" in html
    assert f'<p class="error" id="error-message">{NO_ACCESS}</p>' in html
    assert 'href="/" id="way-home"' in html and 'class="topbar"' in html
    assert "No runs yet" not in html and f"/runs/{runs_exist.pk}/" not in html


def test_a_user_without_any_role_is_told_too(client, django_user_model, runs_exist):
    client.force_login(_user(django_user_model, "nobody"))
    assert "You have no access to ICM runs" in client.get("/runs/").content.decode()


def test_a_reviewer_sees_the_runs_of_their_dataset(client, django_user_model, sst2_dataset, runs_exist):
    client.force_login(_user(django_user_model, "rev", sst2_dataset, "reviewer"))
    response = client.get("/runs/")
    assert response.status_code == 200 and f'href="/runs/{runs_exist.pk}/"' in response.content.decode()


def test_a_reviewer_of_a_dataset_without_runs_is_told_none_exist_yet(client, django_user_model, sst2_dataset,
                                                                     runs_exist):
    other = make_sst2_dataset(name="Other sample", n=4)
    client.force_login(_user(django_user_model, "rev2", other, "reviewer"))
    response = client.get("/runs/")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="runs-empty"' in html
    assert "No runs yet on the datasets you review; an admin starts them." in html
    assert f"/runs/{runs_exist.pk}/" not in html, "another dataset's run stays hidden"
    filtered = client.get(f"/runs/?dataset={other.pk}").content.decode()
    assert "No runs on Other sample yet." in filtered and 'href="/runs/"' in filtered
    hidden = client.get(f"/runs/?dataset={sst2_dataset.pk}").content.decode()
    assert "No dataset you review has that id" in hidden


def test_an_admin_without_datasets_is_not_told_they_lack_access(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/runs/")
    html = response.content.decode()
    assert response.status_code == 200 and "No runs yet: start one above." in html and "Start a run" in html
