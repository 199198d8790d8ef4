"""What each role sees in the lists: only its datasets, annotators only their own labels and never gold,
keys, elicited labels or runs."""
import json


def ids(response):
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def test_datasets_list_is_scoped_by_membership(world):
    assert ids(world.client("annotator").get("/api/datasets/")) == {world.a.pk}
    assert ids(world.client("outsider").get("/api/datasets/")) == {world.b.pk}
    assert ids(world.client("reviewer").get("/api/datasets/")) == {world.a.pk}
    assert ids(world.client("admin").get("/api/datasets/")) == {world.a.pk, world.b.pk}


def test_annotator_reads_only_own_labels(world):
    seen = ids(world.client("annotator").get("/api/human-labels/"))
    assert seen == {world.own_label.pk}
    # Filtering by the other annotator or by example does not widen it.
    assert ids(world.client("annotator").get("/api/human-labels/?annotator=ann2")) == set()
    assert ids(world.client("annotator").get(f"/api/human-labels/?example={world.examples_a[0].pk}")) == {
        world.own_label.pk}


def test_reviewer_reads_everyones_labels_on_their_dataset_only(world):
    seen = ids(world.client("reviewer").get("/api/human-labels/"))
    assert seen == {world.own_label.pk, world.others_label.pk, world.crowd_label.pk}
    assert world.label_b.pk not in seen


def test_annotator_never_sees_gold_keys_or_hidden_fields(world):
    body = world.client("annotator").get(f"/api/examples/?dataset={world.a.pk}").json()
    assert {row["id"] for row in body["results"]} == {e.pk for e in world.examples_a}
    for row in body["results"]:
        assert row["gold"] is None
        assert row["key"] is None
        assert set(row["fields"]) == {"claim"}  # the display fields only; "note" is not shown to annotators


def test_reviewer_sees_keys_but_not_gold_admin_sees_gold(world):
    ex = world.examples_a[0]
    rev = world.client("reviewer").get(f"/api/examples/{ex.pk}/").json()
    assert rev["key"] == ex.key and rev["gold"] is None and set(rev["fields"]) == {"claim", "note"}
    boss = world.client("admin").get(f"/api/examples/{ex.pk}/").json()
    assert boss["gold"] is world.gold_a[ex.pk]


def test_annotators_see_no_runs_or_elicited_labels(world):
    for role in ("annotator", "outsider"):
        assert ids(world.client(role).get("/api/runs/")) == set()
        assert ids(world.client(role).get("/api/elicited-labels/")) == set()
        assert ids(world.client(role).get(f"/api/elicited-labels/?run={world.run_a.pk}")) == set()


def test_reviewer_sees_runs_of_their_dataset_only(world):
    assert ids(world.client("reviewer").get("/api/runs/")) == {world.run_a.pk, world.active_run_a.pk}
    labels = ids(world.client("reviewer").get("/api/elicited-labels/?page_size=1000"))
    assert labels == set(world.run_a.labels.values_list("pk", flat=True))


def test_guessed_ids_read_as_missing(world):
    """An id from another dataset answers exactly like an id that does not exist."""
    client = world.client("outsider")
    for path in (f"/api/datasets/{world.a.pk}/", f"/api/examples/{world.examples_a[1].pk}/",
                 f"/api/human-labels/{world.own_label.pk}/", f"/api/datasets/{world.a.pk}/metrics/"):
        hidden = client.get(path)
        missing = client.get(path.replace(str(path.split("/")[3]), "999999999"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()


def test_lists_filter_and_page_with_cursors(world):
    client = world.client("admin")
    first = client.get(f"/api/examples/?dataset={world.a.pk}&page_size=4").json()
    assert len(first["results"]) == 4 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    got = [r["id"] for r in first["results"] + second["results"]]
    assert got == sorted(e.pk for e in world.examples_a)
    test_split = client.get(f"/api/examples/?dataset={world.a.pk}&split=test").json()["results"]
    assert {r["split"] for r in test_split} == {"test"} and len(test_split) == 2
    world.run_a.labels.filter(example=world.examples_a[4]).update(label=False, score=5.0)  # disagrees: -5
    confident = client.get(f"/api/elicited-labels/?run={world.run_a.pk}&min_confidence=4").json()["results"]
    # run A's (label, score): (F, -1) (T, 2) (T, 3) (F, -4) (F, +5) (T, 6)
    assert [(r["label"], r["score"], r["confidence"]) for r in confident] == [(False, -4.0, 4.0), (True, 6.0, 6.0)]


def test_run_progress_and_events(world):
    client = world.client("reviewer")
    run = client.get(f"/api/runs/{world.run_a.pk}/").json()
    assert run["state"] == "completed" and run["labeled_count"] == len(world.examples_a)
    assert "checkpoint" not in run
    events = client.get(f"/api/runs/{world.run_a.pk}/events/").json()["results"]
    assert [e["iteration"] for e in events] == [1] and events[0]["energy"] == -3.5


def test_metrics_are_the_dashboards_numbers(world):
    from studio.services import review

    body = world.client("reviewer").get(f"/api/datasets/{world.a.pk}/metrics/?split=train").json()
    assert body["split"] == "train" and body["n_examples"] == 4
    assert "run:%d" % world.run_a.pk in [s["key"] for s in body["sources"]]
    assert body == json.loads(json.dumps(review.dashboard(world.a, "train")))


def test_format_parameter_means_the_file_format_only_on_exports(world):
    """DRF's ?format= renderer switch still works elsewhere (the browsable API's JSON link)."""
    client = world.client("reviewer")
    listing = client.get("/api/datasets/?format=api")
    assert listing.status_code == 200 and listing["Content-Type"].startswith("text/html")
    export = client.get(f"/api/runs/{world.run_a.pk}/export/?format=csv", HTTP_ACCEPT="text/html")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
