"""Filled labels (the model's predictions after the ICM search) are a kind of their own in the API: every
elicited-label object names its kind and batch, the list filters by kind, and the Label Studio export marks
each task's prediction and can leave the filled ones out. Run A labels six examples; 3 and 4 are filled."""
import json

from studio.models import ElicitedLabel


def _labels(client, query: str = "") -> list[dict]:
    response = client.get(f"/api/elicited-labels/?page_size=1000{query}")
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


def test_label_objects_carry_kind_and_batch(world):
    rows = {r["example"]: r for r in _labels(world.client("reviewer"), f"&run={world.run_a.pk}")}
    for i, ex in enumerate(world.examples_a):
        assert (rows[ex.pk]["kind"], rows[ex.pk]["batch"]) == ("filled" if i in (3, 4) else "elicited", i // 3)
    one = world.client("reviewer").get(f"/api/elicited-labels/{world.elicited_a.pk}/").json()
    assert one["kind"] == "elicited" and one["batch"] == 0


def test_the_label_list_filters_by_kind(world):
    client = world.client("reviewer")
    ElicitedLabel.objects.filter(run=world.run_a, example=world.examples_a[5]).update(
        label=None, score=None, kind=ElicitedLabel.Kind.UNLABELED)
    filled = _labels(client, f"&run={world.run_a.pk}&kind=filled")
    assert sorted(r["example"] for r in filled) == sorted([world.examples_a[3].pk, world.examples_a[4].pk])
    elicited = _labels(client, f"&run={world.run_a.pk}&kind=elicited")
    assert sorted(r["example"] for r in elicited) == sorted(ex.pk for ex in world.examples_a[:3])
    (unlabeled,) = _labels(client, f"&run={world.run_a.pk}&kind=unlabeled")
    assert unlabeled["example"] == world.examples_a[5].pk and unlabeled["label"] is None


def test_a_bad_kind_is_refused_naming_the_kinds(world):
    response = world.client("reviewer").get("/api/elicited-labels/?kind=guessed")
    assert response.status_code == 400
    assert response.json()["kind"] == ["Expected one of elicited, filled, unlabeled; got 'guessed'."]


def test_labelstudio_tasks_say_whether_the_prediction_was_filled(world):
    client = world.client("reviewer")
    url = f"/api/runs/{world.run_a.pk}/export/labelstudio/"
    tasks = json.loads(b"".join(client.get(url).streaming_content))
    meta = {t["data"]["icm_example_id"]: (t["meta"]["icm_kind"], t["meta"]["icm_batch"]) for t in tasks}
    assert meta == {ex.external_id: ("filled" if i in (3, 4) else "elicited", i // 3)
                    for i, ex in enumerate(world.examples_a)}
    kept = json.loads(b"".join(client.get(url + "?filled=exclude").streaming_content))
    assert [t["data"]["icm_example_id"] for t in kept] == [
        ex.external_id for i, ex in enumerate(world.examples_a) if i not in (3, 4)]
