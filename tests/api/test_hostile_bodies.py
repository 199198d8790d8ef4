"""Hostile bodies and numbers (issue 16, findings 5 and 6): JSON nested too deeply, numbers past any id, and a
claim TTL past any date answer 400 naming what is wrong — never a 500 — and change nothing."""
import pytest
from django.test import Client

from studio.models import AnnotationClaim, ElicitationRun, HumanLabel

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000  # a 100 KB body of nested brackets


def _state():
    return (HumanLabel.objects.count(), ElicitationRun.objects.count(), AnnotationClaim.objects.count())


@pytest.mark.parametrize("role, url", [("admin", "/api/datasets/"), ("admin", "/api/runs/"),
                                       ("annotator", "/api/human-labels/"), ("reviewer", "/api/human-labels/")])
def test_deeply_nested_json_is_a_400(world, role, url):
    before = _state()
    response = world.client(role).post(url, data=DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested too deeply" in response.json()["detail"]
    assert _state() == before


def test_deeply_nested_json_on_the_labeling_endpoint_is_a_400(world):
    client = Client()
    client.force_login(world.users["annotator"])
    before = _state()
    for body in (DEEP, '{"example": %s, "label": true}' % DEEP):
        response = client.post(f"/annotate/{world.a.slug}/label/", data=body, content_type="application/json")
        assert response.status_code == 400 and "nested too deeply" in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize("value", ["1e999", "-1e999", "1.5", "100000000000000000000000000000", "true", '"12abc"'])
def test_ids_out_of_range_name_the_field(world, value):
    before = _state()
    ex = world.claimed_for_ann.pk
    r = world.client("annotator").post("/api/human-labels/", data='{"example": %s, "label": true}' % value,
                                       content_type="application/json")
    assert r.status_code == 400 and "example" in r.json(), (value, r.content[:300])
    r = world.client("admin").post("/api/runs/", data='{"dataset": %s}' % value, content_type="application/json")
    assert r.status_code == 400 and "dataset" in r.json(), (value, r.content[:300])
    assert _state() == before
    ok = world.client("annotator").post("/api/human-labels/", {"example": ex, "label": True}, format="json")
    assert ok.status_code == 201


@pytest.mark.parametrize("body", ['{"example": 100000000000000000000000000000, "label": true}',
                                  '{"example": 3, "label": true, "seconds": 1e999}',
                                  '{"example": 3, "label": true, "seconds": %d}' % 10**400])
def test_labeling_endpoint_refuses_huge_numbers(world, body):
    client = Client()
    client.force_login(world.users["annotator"])
    before = _state()
    response = client.post(f"/annotate/{world.a.slug}/label/", data=body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert _state() == before


def test_run_pages_and_cursors_with_huge_numbers_do_not_fail(world):
    import base64
    import json

    client = Client()
    client.force_login(world.users["admin"])
    assert client.get("/runs/?dataset=" + "9" * 30).status_code == 200
    assert client.get(f"/runs/{world.run_a.pk}/progress.json?after={10**30}").status_code == 400
    for cursor in ([1e300 * 1e300, 1], [0.5, 10**30], [10**30, 5]):
        raw = json.dumps(cursor).encode()
        after = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get(f"/review/{world.a.slug}/disagreements/?after={after}")
        assert response.status_code == 400, (cursor, response.status_code)
        assert "cursor" in response.content.decode()


@pytest.mark.parametrize("ttl", [10**15, 86401, 0])
def test_claim_ttl_is_bounded(world, ttl):
    r = world.client("admin").patch(f"/api/datasets/{world.a.pk}/", {"claim_ttl_seconds": ttl}, format="json")
    assert r.status_code == 400 and "claim_ttl_seconds" in r.json()
    world.a.refresh_from_db()
    assert world.a.claim_ttl_seconds == 600



@pytest.mark.parametrize("position", ["9" * 30, "1e999", "-" + "9" * 30, "nan"])
def test_crafted_list_cursors_are_refused_not_a_500(world, position):
    import base64
    from urllib.parse import urlencode

    for params in ({"p": position}, {"p": position, "r": "1"}):
        cursor = base64.b64encode(urlencode(params).encode()).decode()
        for url in ["/api/examples/", "/api/human-labels/", "/api/runs/", "/api/elicited-labels/", "/api/imports/",
                    f"/api/runs/{world.run_a.pk}/events/"]:
            response = world.client("admin").get(url, {"cursor": cursor})
            assert response.status_code == 404 and "Invalid cursor" in response.json()["detail"], (url, params)
