"""Every endpoint × every role: anonymous, annotator (on dataset A), outsider (annotator on dataset B only),
reviewer (on A), admin. Objects are on dataset A unless said otherwise. 401 = not logged in, 403 = visible
but not allowed, 404 = not visible to this caller (a guessed id tells nothing)."""
import io

import pytest

from .conftest import ROLES

# status per role, in ROLES order: anonymous, annotator, outsider, reviewer, admin
MATRIX = [
    ("GET", lambda w: "/api/datasets/", None, (401, 200, 200, 200, 200)),
    ("GET", lambda w: f"/api/datasets/{w.a.pk}/", None, (401, 200, 404, 200, 200)),
    ("POST", lambda w: "/api/datasets/", {"name": "New", "prompt_template": "Text: {text}"}, (401, 403, 403, 403, 201)),
    ("PATCH", lambda w: f"/api/datasets/{w.a.pk}/", {"description": "changed"}, (401, 403, 403, 403, 200)),
    ("DELETE", lambda w: f"/api/datasets/{w.a.pk}/", None, (401, 403, 403, 403, 204)),
    ("GET", lambda w: f"/api/datasets/{w.a.pk}/metrics/?split=train", None, (401, 403, 404, 200, 200)),
    ("POST", lambda w: f"/api/datasets/{w.a.pk}/next-example/", None, (401, 200, 404, 403, 403)),
    ("GET", lambda w: f"/api/datasets/{w.a.pk}/export/human-labels/", None, (401, 403, 404, 200, 200)),
    ("GET", lambda w: f"/api/datasets/{w.a.pk}/export/gold/", None, (401, 403, 404, 403, 200)),
    ("GET", lambda w: f"/api/datasets/{w.a.pk}/labelstudio-config/", None, (401, 403, 404, 200, 200)),
    ("GET", lambda w: "/api/examples/", None, (401, 200, 200, 200, 200)),
    ("GET", lambda w: f"/api/examples/{w.examples_a[0].pk}/", None, (401, 200, 404, 200, 200)),
    ("GET", lambda w: "/api/human-labels/", None, (401, 200, 200, 200, 200)),
    ("GET", lambda w: f"/api/human-labels/{w.own_label.pk}/", None, (401, 200, 404, 200, 200)),
    ("GET", lambda w: f"/api/human-labels/{w.others_label.pk}/", None, (401, 404, 404, 200, 200)),
    ("GET", lambda w: f"/api/human-labels/{w.crowd_label.pk}/", None, (401, 404, 404, 200, 200)),
    # Only the annotator was handed this example; for everyone else it is not an example they may label.
    ("POST", lambda w: "/api/human-labels/", lambda w: {"example": w.claimed_for_ann.pk, "label": True},
     (401, 201, 400, 400, 400)),
    ("GET", lambda w: "/api/runs/", None, (401, 200, 200, 200, 200)),
    ("GET", lambda w: f"/api/runs/{w.run_a.pk}/", None, (401, 404, 404, 200, 200)),
    ("POST", lambda w: "/api/runs/", lambda w: {"dataset": w.a.pk, "split": "train"}, (401, 403, 403, 403, 201)),
    ("POST", lambda w: f"/api/runs/{w.active_run_a.pk}/cancel/", None, (401, 403, 403, 403, 200)),
    ("GET", lambda w: f"/api/runs/{w.run_a.pk}/events/", None, (401, 404, 404, 200, 200)),
    ("GET", lambda w: f"/api/runs/{w.run_a.pk}/export/?format=csv", None, (401, 404, 404, 200, 200)),
    ("GET", lambda w: f"/api/runs/{w.run_a.pk}/export/labelstudio/", None, (401, 404, 404, 200, 200)),
    ("GET", lambda w: "/api/elicited-labels/", None, (401, 200, 200, 200, 200)),
    ("GET", lambda w: f"/api/elicited-labels/{w.elicited_a.pk}/", None, (401, 404, 404, 200, 200)),
    ("GET", lambda w: "/api/imports/", None, (401, 403, 403, 403, 200)),
    ("GET", lambda w: f"/api/imports/{w.import_job.pk}/", None, (401, 403, 403, 403, 200)),
    ("POST", lambda w: "/api/imports/", "upload", (401, 403, 403, 403, 202)),
    ("GET", lambda w: "/api/schema/", None, (200, 200, 200, 200, 200)),
    ("GET", lambda w: "/api/docs/", None, (200, 200, 200, 200, 200)),
]


def _upload():
    f = io.BytesIO(b'{"id": "1", "text": "hello"}\n')
    f.name = "tiny.jsonl"
    return {"file": f, "name": "Uploaded tiny", "mapping": '{"id": "id", "text": "text"}'}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,body,expected", [pytest.param(*m, id=f"{m[0]}-{i}") for i, m in enumerate(MATRIX)])
def test_permission_matrix(world, role, method, url, body, expected, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads land here (queued imports never run: no commit in a test)
    client = world.client(role)
    path = url(world)
    if body == "upload":
        response = client.post(path, _upload(), format="multipart")
    else:
        data = body(world) if callable(body) else body
        response = getattr(client, method.lower())(path, data, format="json")
    want = expected[ROLES.index(role)]
    assert response.status_code == want, (
        f"{role} {method} {path}: expected {want}, got {response.status_code}: "
        f"{getattr(response, 'data', None) or b''.join(getattr(response, 'streaming_content', [])) or response.content[:300]}"
    )
    if want >= 400 and response.get("Content-Type", "").startswith("application/json"):
        assert response.json().get("detail") or response.json(), "an error says why"
