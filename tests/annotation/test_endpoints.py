"""The labeling page's endpoints through Django's test client: the happy path, and bad requests that get a 4xx
with a JSON message and change nothing."""
import json

import pytest
from django.test import Client

from studio.models import AnnotationClaim, HumanLabel, Skip

from .factories import PASSWORD, make_annotator, make_dataset

pytestmark = pytest.mark.django_db


def state():
    """Everything an annotation request could change."""
    return (
        sorted(HumanLabel.objects.values_list("annotator", "example", "label", "seconds_spent")),
        sorted(Skip.objects.values_list("annotator", "example", "seconds_spent")),
        sorted(AnnotationClaim.objects.values_list("annotator", "example", "claimed_at", "expires_at")),
    )


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def post(client, url, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


@pytest.fixture
def setup():
    ds = make_dataset("Claims", n=4, question="Is the claim true?")
    other = make_dataset("Other", n=2)
    ann = make_annotator("ann", ds)
    client = login(ann)
    shown = client.post(f"/annotate/{ds.slug}/next/").json()["example"]
    return ds, other, ann, client, shown


def test_next_label_repeat_conflict_skip_undo(setup):
    ds, _, ann, client, shown = setup
    base = f"/annotate/{ds.slug}"
    r = post(client, f"{base}/label/", {"example": shown["id"], "label": True, "seconds": 2.5})
    assert r.status_code == 201
    body = r.json()
    assert body["saved"] == {"example": shown["id"], "label": True, "seconds": 2.5, "created": True}
    assert body["example"]["id"] != shown["id"] and body["progress"]["mine"] == 1
    again = post(client, f"{base}/label/", {"example": shown["id"], "label": True, "seconds": 7})
    assert again.status_code == 200 and again.json()["saved"]["created"] is False
    assert again.json()["saved"]["seconds"] == 2.5
    before = state()
    conflict = post(client, f"{base}/label/", {"example": shown["id"], "label": False, "seconds": 1})
    assert conflict.status_code == 409 and "Undo" in conflict.json()["error"]
    assert state() == before
    second = body["example"]["id"]
    r = post(client, f"{base}/skip/", {"example": second, "seconds": 1.0})
    assert r.status_code == 200 and r.json()["skipped"] == {"example": second}
    assert r.json()["progress"]["skipped"] == 1
    r = post(client, f"{base}/undo/", {})
    assert r.status_code == 200
    assert r.json()["undone"] == {"example": shown["id"], "label": True}
    assert r.json()["example"]["id"] == shown["id"]
    assert HumanLabel.objects.count() == 0 and Skip.objects.count() == 1
    r = post(client, f"{base}/undo/", {})
    assert r.status_code == 409 and "Nothing to undo" in r.json()["error"]


def test_undo_reaches_only_this_sessions_labels(setup):
    ds, _, ann, client, shown = setup
    post(client, f"/annotate/{ds.slug}/label/", {"example": shown["id"], "label": True, "seconds": 1})
    other_session = login(ann)
    r = post(other_session, f"/annotate/{ds.slug}/undo/", {})
    assert r.status_code == 409
    assert HumanLabel.objects.count() == 1


BAD_LABEL_BODIES = [
    ("{not json", "not valid JSON"),
    ("", "must be a JSON object"),
    ("[1, 2]", "must be a JSON object"),
    ({"label": True}, "'example'"),
    ({"example": "12", "label": True}, "'example'"),
    ({"example": True, "label": True}, "'example'"),
    ({"example": -3, "label": True}, "'example'"),
    ("SHOWN", "'label' is missing"),
    ({"label": "yes"}, "'label' must be true or false"),
    ({"label": 1}, "'label' must be true or false"),
    ({"label": True, "seconds": -2}, "'seconds'"),
    ({"label": True, "seconds": "fast"}, "'seconds'"),
]


@pytest.mark.parametrize("body,message", BAD_LABEL_BODIES)
def test_malformed_bodies_are_refused_with_a_message_and_change_nothing(setup, body, message):
    ds, _, _, client, shown = setup
    if body == "SHOWN":
        body = {"example": shown["id"]}
    elif isinstance(body, dict) and "example" not in body and "'example'" not in message:
        body = {"example": shown["id"], **body}
    before = state()
    r = post(client, f"/annotate/{ds.slug}/label/", body)
    assert r.status_code == 400, r.content
    assert message in r.json()["error"]
    assert state() == before


def test_a_label_for_an_example_not_handed_to_you_or_not_in_the_dataset(setup):
    ds, other, _, client, shown = setup
    before = state()
    not_mine = ds.examples.exclude(pk=shown["id"]).first()
    r = post(client, f"/annotate/{ds.slug}/label/", {"example": not_mine.pk, "label": True, "seconds": 1})
    assert r.status_code == 403 and "not handed to you" in r.json()["error"]
    elsewhere = other.examples.first()
    r = post(client, f"/annotate/{ds.slug}/label/", {"example": elsewhere.pk, "label": True, "seconds": 1})
    assert r.status_code == 404 and "not in the annotation queue" in r.json()["error"]
    r = post(client, f"/annotate/{ds.slug}/skip/", {"example": not_mine.pk, "seconds": 1})
    assert r.status_code == 403
    assert state() == before


def test_a_dataset_you_are_not_on(setup):
    ds, other, _, client, shown = setup
    before = state()
    for method, path, body in [
        ("post", "next/", {}),
        ("post", "label/", {"example": other.examples.first().pk, "label": True}),
        ("post", "skip/", {"example": other.examples.first().pk}),
        ("post", "undo/", {}),
    ]:
        url = f"/annotate/{other.slug}/{path}"
        r = client.get(url) if method == "get" else post(client, url, body)
        assert r.status_code == 403, url
        assert "not an annotator on dataset 'other'" in r.json()["error"]
    r = client.post("/annotate/no-such-thing/next/")
    assert r.status_code == 404 and "no dataset 'no-such-thing'" in r.json()["error"]
    page = client.get(f"/annotate/{other.slug}/")
    assert page.status_code == 403 and b"not an annotator" in page.content
    assert state() == before


def test_wrong_method_anonymous_and_missing_csrf(setup):
    ds, _, ann, client, shown = setup
    before = state()
    r = client.get(f"/annotate/{ds.slug}/label/")
    assert r.status_code == 405 and "Use POST" in r.json()["error"]
    anonymous = Client()
    r = post(anonymous, f"/annotate/{ds.slug}/label/", {"example": shown["id"], "label": True})
    assert r.status_code == 401 and "Log in" in r.json()["error"]
    assert anonymous.get(f"/annotate/{ds.slug}/").status_code == 302  # the page sends you to log in
    strict = Client(enforce_csrf_checks=True)
    strict.login(username=ann.username, password=PASSWORD)
    r = post(strict, f"/annotate/{ds.slug}/label/", {"example": shown["id"], "label": True})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    assert state() == before
    # With the token the page carries, the same request goes through.
    page = strict.get(f"/annotate/{ds.slug}/")
    token = page.content.decode().split('data-csrf="')[1].split('"')[0]
    r = strict.post(f"/annotate/{ds.slug}/label/", data=json.dumps({"example": shown["id"], "label": True}),
                    content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 201


def test_people_see_only_the_datasets_they_annotate():
    mine = make_dataset("Mine", n=1)
    make_dataset("Not Mine", n=1)
    ann = make_annotator("ann", mine)
    client = login(ann)
    home = client.get("/").content.decode()
    assert 'href="/annotate/mine/"' in home and "Not Mine" not in home
    listing = client.get("/annotate/").content.decode()
    assert "Mine" in listing and "Not Mine" not in listing


def test_guidelines_are_rendered_with_raw_html_escaped():
    ds = make_dataset(
        "Guided", n=1,
        guidelines="# Read me\n\nAnswer **True** if <script>alert('x')</script> holds. "
                   "[bad](javascript:alert(1)) [good](https://example.org)",
    )
    client = login(make_annotator("ann", ds))
    html = client.get(f"/annotate/{ds.slug}/").content.decode()
    assert "<h1>Read me</h1>" in html and "<strong>True</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "javascript:" not in html and 'href="https://example.org"' in html


def test_an_oversized_body_is_413_and_a_refusal_names_its_field(setup, settings):
    ds, _, ann, client, shown = setup
    before = state()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64
    r = post(client, f"/annotate/{ds.slug}/label/", {"example": shown["id"], "label": True, "pad": "x" * 200})
    assert r.status_code == 413 and "too large" in r.json()["error"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    r = post(client, f"/annotate/{ds.slug}/label/", {"example": shown["id"], "label": "maybe"})
    assert r.status_code == 400 and r.json() == {"error": "'label' must be true or false, got 'maybe'.",
                                                 "field": "label"}
    assert state() == before


def test_getting_the_next_example_is_a_post_and_a_get_reserves_nothing():
    """Handing out an example creates a claim: a GET (a link prefetch, a crawler) must not (issue 16)."""
    ds = make_dataset("Claims", n=2)
    ann = make_annotator("ann", ds)
    client = login(ann)
    r = client.get(f"/annotate/{ds.slug}/next/")
    assert r.status_code == 405 and r["Allow"] == "POST" and not AnnotationClaim.objects.exists()
    strict = Client(enforce_csrf_checks=True)
    strict.login(username=ann.username, password=PASSWORD)
    assert strict.post(f"/annotate/{ds.slug}/next/").status_code == 403 and not AnnotationClaim.objects.exists()
    assert client.post(f"/annotate/{ds.slug}/next/").json()["example"]["id"]
    assert AnnotationClaim.objects.count() == 1
