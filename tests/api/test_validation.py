"""Bad input: a 4xx whose body names what is wrong, and nothing changes in the database."""
import io

import pytest

from studio.models import Dataset, ElicitationRun, HumanLabel, ImportJob


def snapshot():
    return (Dataset.objects.count(), HumanLabel.objects.count(), ElicitationRun.objects.count(),
            ImportJob.objects.count(), list(Dataset.objects.order_by("pk").values_list("description", flat=True)))


def message(response) -> str:
    return str(response.json())


@pytest.mark.parametrize("body,field", [
    ({"example": "nope", "label": True}, "example"),
    ({"label": True}, "example"),
    ({"example": 999999999, "label": True}, "example"),
    ("label-maybe", "label"),
    ("negative-seconds", "seconds_spent"),
])
def test_bad_label_posts(world, body, field):
    if body == "label-maybe":
        body = {"example": world.claimed_for_ann.pk, "label": "maybe"}
    elif body == "negative-seconds":
        body = {"example": world.claimed_for_ann.pk, "label": True, "seconds_spent": -3}
    before = snapshot()
    response = world.client("annotator").post("/api/human-labels/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), message(response)
    assert snapshot() == before


def test_label_on_example_not_handed_out_is_refused(world):
    """The annotation queue decides what an annotator labels: an example never handed to them is refused."""
    before = snapshot()
    response = world.client("annotator").post("/api/human-labels/", {"example": world.examples_a[4].pk,
                                                                     "label": True}, format="json")
    assert response.status_code == 403
    assert "not handed to you" in response.json()["detail"]
    assert snapshot() == before


def test_changing_a_label_is_a_conflict(world):
    client = world.client("annotator")
    first = client.post("/api/human-labels/", {"example": world.claimed_for_ann.pk, "label": True}, format="json")
    assert first.status_code == 201
    again = client.post("/api/human-labels/", {"example": world.claimed_for_ann.pk, "label": True}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    before = snapshot()
    other = client.post("/api/human-labels/", {"example": world.claimed_for_ann.pk, "label": False}, format="json")
    assert other.status_code == 409 and "already labeled" in other.json()["detail"]
    assert snapshot() == before


def test_next_example_then_label_over_the_api(world):
    client = world.client("annotator")
    got = client.post(f"/api/datasets/{world.a.pk}/next-example/")
    assert got.status_code == 200 and got.json()["gold"] is None
    posted = client.post("/api/human-labels/", {"example": got.json()["id"], "label": False, "seconds_spent": 2.5},
                         format="json")
    assert posted.status_code == 201, posted.content
    assert posted.json()["annotator"] == "ann" and posted.json()["label"] is False


@pytest.mark.parametrize("query,field", [
    ("format=xml", "format"),
    ("style=poem", "style"),
    ("min_confidence=-1", "min_confidence"),
    ("min_confidence=abc", "min_confidence"),
    ("agreement=maybe", "agreement"),
    ("split=nosuch", "detail"),
    ("style=preference", "detail"),  # dataset A is a claim dataset, not a comparison
])
def test_bad_export_parameters(world, query, field):
    response = world.client("reviewer").get(f"/api/runs/{world.run_a.pk}/export/?{query}")
    assert response.status_code == 400, response
    assert field in response.json(), message(response)
    assert response.json()[field]


def test_bad_human_export_mode(world):
    response = world.client("reviewer").get(f"/api/datasets/{world.a.pk}/export/human-labels/?mode=everyone")
    assert response.status_code == 400 and "mode" in response.json()


def test_bad_split_for_metrics(world):
    response = world.client("reviewer").get(f"/api/datasets/{world.a.pk}/metrics/?split=nosuch")
    assert response.status_code == 400 and "nosuch" in response.json()["split"]


@pytest.mark.parametrize("body,field", [
    ({"name": "X", "prompt_template": "Text: {"}, "prompt_template"),
    ({"name": "X", "prompt_template": "Text: {}"}, "prompt_template"),
    ({"name": "Dataset A", "prompt_template": "Text: {text}"}, "name"),
    ({"name": "Y", "slug": "dataset-a", "prompt_template": "Text: {text}"}, "slug"),
    ({"name": "Z", "prompt_template": "Text: {text}", "task_type": "essay"}, "task_type"),
    ({"name": "Z", "prompt_template": "Text: {text}", "display_fields": "claim"}, "display_fields"),
])
def test_bad_dataset_writes(world, body, field):
    before = snapshot()
    response = world.client("admin").post("/api/datasets/", body, format="json")
    assert response.status_code == 400 and field in response.json(), message(response)
    assert snapshot() == before


def test_bad_dataset_update_changes_nothing(world):
    before = snapshot()
    response = world.client("admin").patch(f"/api/datasets/{world.a.pk}/",
                                           {"description": "new", "annotation_overlap": -1}, format="json")
    assert response.status_code == 400 and "annotation_overlap" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize("body,needle", [
    ({"backend": "openai"}, "base_url"),
    ({"backend": "telepathy"}, "backend"),
    ({"subset": "sample", "sample_size": 0}, "sample_size"),
    ({"dataset": 999999999}, "dataset"),
])
def test_bad_run_starts(world, body, needle):
    body = {"dataset": world.a.pk, **body}
    before = snapshot()
    response = world.client("admin").post("/api/runs/", body, format="json")
    assert response.status_code == 400, response.content
    assert needle in message(response)
    assert snapshot() == before


def test_cancel_finished_run_is_a_conflict(world):
    response = world.client("admin").post(f"/api/runs/{world.run_a.pk}/cancel/")
    assert response.status_code == 409 and "completed" in response.json()["detail"]
    world.run_a.refresh_from_db()
    assert world.run_a.state == "completed" and not world.run_a.cancel_requested


def _file(content: bytes, name: str):
    f = io.BytesIO(content)
    f.name = name
    return f


@pytest.mark.parametrize("form,field", [
    ({"name": "New", "mapping": '{"text": "text"}'}, "file"),
    ({"file": b"", "name": "New", "mapping": '{"text": "text"}'}, "file"),
    ({"file": b'{"text": "a"}\n', "name": "Dataset A", "mapping": '{"text": "text"}'}, "name"),
    ({"file": b'{"text": "a"}\n', "name": "New"}, "mapping"),
    ({"file": b'{"text": "a"}\n', "name": "New", "mapping": "{not json"}, "mapping"),
    ({"file": b'{"text": "a"}\n', "name": "New", "mapping": '{"label": "text"}'}, "mapping"),
    ({"file": b'{"text": "a"}\n', "name": "New", "mapping": '{"text": "text"}', "prompt_template": "{other}"},
     "prompt_template"),
    ({"file": b'{"text": "a"}\n', "name": "New", "mapping": '{"text": "text"}', "format": "xlsx"}, "format"),
    ({"file": b'{"text": "a"}\n', "name": "New", "format": "labelstudio", "mapping": '{"text": "text"}'},
     "mapping"),
])
def test_bad_uploads(world, settings, tmp_path, form, field):
    settings.MEDIA_ROOT = tmp_path
    form = dict(form)
    if "file" in form:
        form["file"] = _file(form["file"], "data.jsonl")
    before = snapshot()
    response = world.client("admin").post("/api/imports/", form, format="multipart")
    assert response.status_code == 400 and field in response.json(), message(response)
    assert snapshot() == before
    assert not list(tmp_path.rglob("*.jsonl")), "a refused upload is not kept"
