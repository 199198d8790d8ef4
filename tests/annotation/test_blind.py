"""Blind: nothing an annotator's session receives carries a gold label, an elicited label, or another person's
label. Read two ways: every response the browser gets while labeling, and every endpoint through the test
client, whose answers must not change when all those hidden labels are turned around."""
import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from studio.models import AnnotationClaim, HumanLabel, Skip
from studio.services import tallies

from .blind import FORBIDDEN_WORDS, assert_blind_json, assert_no_tokens, flip_hidden, seed_hidden
from .browser_helpers import press, start
from .factories import PASSWORD, make_annotator, make_dataset

GUIDELINES = "Label each claim **True** or **False**."


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_response_in_a_labeling_session_is_blind(browser, live_server):
    ds = make_dataset("Blind claims", n=8, overlap=2, guidelines=GUIDELINES)
    seed_hidden(ds)
    make_annotator("ann", ds)
    responses = []  # (url, status, content type, body), read as each arrives (a page's body goes on navigation)

    def read(response):
        body = b"" if 300 <= response.status < 400 else response.body()
        responses.append((response.url, response.status, response.headers.get("content-type", ""), body))

    context = browser.new_context()
    context.on("response", read)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/?next=/annotate/{ds.slug}/")
    page.fill("#id_username", "ann")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"**/annotate/{ds.slug}/")
    start(page)
    for key in ["t", "f", "s", "t", "u", "f", "2", "t"]:
        press(page, key)

    sent_labels, json_bodies, pages = [], 0, 0
    for url, status, kind, body in responses:
        text = body.decode("utf-8", "replace")
        assert_no_tokens(url, text)
        if kind.startswith("application/json"):
            json_bodies += 1
            sent_labels += assert_blind_json(url, text)
        elif kind.startswith("text/html") and urlsplit(url).path == f"/annotate/{ds.slug}/":
            pages += 1
            assert not FORBIDDEN_WORDS.search(text), FORBIDDEN_WORDS.search(text).group()
    assert pages == 1 and json_bodies >= 8  # the scan really read the session
    # What came back about labels is what this annotator pressed: t, f, t (undone), f, 2(False), t.
    assert sent_labels == [True, False, True, False, False, True]
    context.close()


def _flow(ds, username: str) -> list[tuple[str, int, str]]:
    """Every endpoint an annotator can call, in a plausible order, with the answers normalized for tokens."""
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    base = f"/annotate/{ds.slug}"
    out = []

    def record(name, response):
        text = re.sub(r'(data-csrf="|name="csrfmiddlewaretoken" value=")[^"]+', r"\1T", response.content.decode())
        out.append((name, response.status_code, text))
        return response

    def post(name, path, body):
        return record(name, client.post(f"{base}/{path}", data=json.dumps(body), content_type="application/json"))

    record("home", client.get("/"))
    record("index", client.get("/annotate/"))
    record("page", client.get(f"{base}/"))
    shown = record("next", client.post(f"{base}/next/")).json()["example"]["id"]
    nxt = post("label", "label/", {"example": shown, "label": True, "seconds": 1.5}).json()["example"]["id"]
    post("repeat", "label/", {"example": shown, "label": True, "seconds": 1.5})
    post("conflict", "label/", {"example": shown, "label": False, "seconds": 1.5})
    third = post("skip", "skip/", {"example": nxt, "seconds": 1.5}).json()["example"]["id"]
    post("not handed", "label/", {"example": third + 1, "label": True, "seconds": 1.5})
    post("label 2", "label/", {"example": third, "label": False, "seconds": 1.5})
    post("undo", "undo/", {})
    post("relabel", "label/", {"example": third, "label": True, "seconds": 1.5})
    record("next again", client.post(f"{base}/next/"))
    post("malformed", "label/", {"example": "x"})
    return out


@pytest.mark.django_db
def test_no_endpoint_answer_depends_on_hidden_labels():
    ds = make_dataset("Blind claims", n=8, overlap=2, guidelines=GUIDELINES)
    seed_hidden(ds)
    make_annotator("ann", ds)
    first = _flow(ds, "ann")
    for name, status, text in first:
        assert_no_tokens(name, text)
        if name not in ("home",):  # the home page's blurb mentions gold; its data is checked by the flip below
            assert not FORBIDDEN_WORDS.search(text), (name, FORBIDDEN_WORDS.search(text).group())
    assert [s for _, s, _ in first] == [200, 200, 200, 200, 201, 200, 409, 200, 403, 201, 200, 201, 200, 400]

    flip_hidden(ds)
    # Put the annotator back where they started, and run the same session again.
    HumanLabel.objects.filter(annotator__username="ann").delete()
    Skip.objects.filter(annotator__username="ann").delete()
    AnnotationClaim.objects.filter(annotator__username="ann").delete()
    tallies.rebuild(ds)  # the deletes above went past the services
    second = _flow(ds, "ann")
    for (name, status, text), (_, status2, text2) in zip(first, second):
        assert (status, text) == (status2, text2), f"{name} changed when hidden labels were flipped"
