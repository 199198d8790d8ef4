"""A label's confidence (its centered score in the label's direction) is served next to its score, and the
min_confidence filter keeps only labels whose score agrees with them by at least the threshold."""
from studio.models import ElicitedLabel


def _disagree(world):
    """Run A's 5th label becomes False with score +5: it disagrees with its score (confidence -5)."""
    label = world.run_a.labels.get(example=world.examples_a[4])
    ElicitedLabel.objects.filter(pk=label.pk).update(label=False, score=5.0)
    return label.pk


def test_a_label_that_disagrees_with_its_score_has_a_negative_confidence(world):
    pk = _disagree(world)
    client = world.client("reviewer")
    one = client.get(f"/api/elicited-labels/{pk}/").json()
    assert (one["label"], one["score"], one["confidence"]) == (False, 5.0, -5.0)
    listed = {r["id"]: r for r in client.get(f"/api/elicited-labels/?run={world.run_a.pk}").json()["results"]}
    assert listed[pk]["confidence"] == -5.0
    assert all(r["confidence"] == (r["score"] if r["label"] else -r["score"]) for r in listed.values())


def test_min_confidence_never_keeps_a_disagreeing_label_and_leaves_out_unlabeled_ones(world):
    pk = _disagree(world)
    unlabeled = world.run_a.labels.get(example=world.examples_a[1])
    ElicitedLabel.objects.filter(pk=unlabeled.pk).update(label=None, score=None, kind="unlabeled")
    client = world.client("reviewer")
    everything = client.get(f"/api/elicited-labels/?run={world.run_a.pk}").json()["results"]
    assert len(everything) == 6 and {r["id"]: r["confidence"] for r in everything}[unlabeled.pk] is None
    kept = client.get(f"/api/elicited-labels/?run={world.run_a.pk}&min_confidence=0").json()["results"]
    # (F, -1) (unlabeled) (T, 3) (F, -4) (F, +5) (T, 6): the disagreeing and the unlabeled label are left out
    assert [r["confidence"] for r in kept] == [1.0, 3.0, 4.0, 6.0] and pk not in {r["id"] for r in kept}


def test_the_schema_says_what_confidence_and_min_confidence_mean(world):
    schema = world.client("reviewer").get("/api/schema/?format=json").json()
    label = schema["components"]["schemas"]["ElicitedLabel"]["properties"]
    assert "label's direction" in label["confidence"]["description"]
    assert "Centered log-odds of True" in label["score"]["description"]
    params = {p["name"]: p for p in schema["paths"]["/api/elicited-labels/"]["get"]["parameters"]}
    assert "never kept" in params["min_confidence"]["description"]
