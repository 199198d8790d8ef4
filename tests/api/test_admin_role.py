"""Issue 16 #1: `is_staff` is not a studio admin. A staff user without the role (here also a reviewer of
dataset A, so every object below is visible to them and the answer is about the role) is refused by the API,
the pages and the Django admin alike; a superuser and a member of the "Studio admins" group succeed."""
import io

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from studio.models import Dataset, ElicitationRun, Membership
from studio.services import api_tokens


@pytest.fixture
def staff(world, django_user_model):
    user = django_user_model.objects.create_user("staffer", password="pw-staff-12345", is_staff=True)
    Membership.objects.create(user=user, dataset=world.a, role="reviewer")
    return user


@pytest.fixture
def group_admin(world, django_user_model):
    user = django_user_model.objects.create_user("groupadmin", password="pw-group-12345", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Studio admins")[0])
    return user


def api(user):
    from rest_framework.test import APIClient
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_tokens.create_token(user, 't')[1]}")
    return client


def _upload():
    f = io.BytesIO(b'{"id": "1", "text": "hello"}\n')
    f.name = "tiny.jsonl"
    return {"file": f, "name": "Uploaded tiny", "mapping": '{"id": "id", "text": "text"}'}


def api_calls(world):
    a = world.a.pk
    return [
        ("get", f"/api/datasets/{a}/export/gold/", None, 200),
        ("patch", f"/api/datasets/{a}/", {"description": "changed"}, 200),
        ("post", "/api/runs/", {"dataset": a, "split": "train"}, 201),
        ("post", f"/api/runs/{world.active_run_a.pk}/cancel/", None, 200),
        ("get", "/api/imports/", None, 200),
        ("post", "/api/imports/", "upload", 202),
        ("delete", f"/api/datasets/{a}/", None, 204),
    ]


def _call(client, method, url, body):
    if body == "upload":
        return client.post(url, _upload(), format="multipart")
    return getattr(client, method)(url, body, format="json")


def test_staff_without_the_role_is_refused_by_the_api(world, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = api(staff)
    for method, url, body, _ in api_calls(world):
        response = _call(client, method, url, body)
        assert response.status_code == 403, (method, url, response.status_code)
    assert Dataset.objects.filter(pk=world.a.pk).exists()


@pytest.mark.parametrize("who", ["superuser", "group"])
def test_a_real_admin_still_may(world, group_admin, who, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = world.client("admin") if who == "superuser" else api(group_admin)
    for method, url, body, want in api_calls(world):
        response = _call(client, method, url, body)
        assert response.status_code == want, (method, url, response.status_code)


def page_and_admin_urls(world):
    return [
        ("get", "/runs/start/", {}),
        ("post", f"/runs/{world.active_run_a.pk}/cancel/", {}),
        ("post", f"/review/{world.a.slug}/evaluations/", {"test_split": "test", "train_split": "train"}),
        ("get", "/admin/studio/elicitationrun/start/", {}),
        ("get", "/admin/studio/dataset/import/", {}),
        ("get", "/admin/studio/dataset/", {}),
        ("get", f"/admin/studio/dataset/{world.a.pk}/delete/", {}),
        ("get", "/admin/studio/elicitationrun/", {}),
        ("get", "/admin/studio/evaluation/", {}),
        ("get", "/admin/studio/importjob/", {}),
    ]


def test_staff_without_the_role_is_refused_by_pages_and_admin(world, staff):
    client = Client()
    client.force_login(staff)
    for method, url, data in page_and_admin_urls(world):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (url, response.status_code)
    assert ElicitationRun.objects.get(pk=world.active_run_a.pk).cancel_requested is False
    assert "Start a run" not in client.get("/runs/").content.decode()


@pytest.mark.parametrize("who", ["superuser", "group"])
def test_a_real_admin_opens_the_admin_forms(world, group_admin, who):
    client = Client()
    client.force_login(world.users["admin"] if who == "superuser" else group_admin)
    for url in ["/runs/start/", "/admin/studio/elicitationrun/start/", "/admin/studio/dataset/import/",
                "/admin/studio/dataset/", f"/admin/studio/dataset/{world.a.pk}/change/"]:
        assert client.get(url).status_code == 200, url


def test_every_resource_has_one_policy():
    from studio.services import policies
    assert set(policies.POLICIES) == {"runs", "datasets", "evaluations", "imports", "exports", "studies",
                                     "adjudications"}


def test_the_studio_admins_group_is_there_to_add_people_to(db):
    """A superuser finds the group in the admin's Groups after `migrate`; nobody has to type its name."""
    from django.contrib.auth.models import Group

    from studio.services.access import STUDIO_ADMINS_GROUP

    assert Group.objects.filter(name=STUDIO_ADMINS_GROUP).exists()
