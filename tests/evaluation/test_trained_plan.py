"""The trained measure without a model (issue 22): its options refused by name, its paired train draws (every
trained condition of a repeat on the same items, repeats on seeded different shares), the antisymmetric
reward-model score on comparison pairs, the verdict and gap recovered from the trained measure, and the
dashboard's trained rows."""
import numpy as np
import pytest

from studio.models import Evaluation, Example
from studio.services import evaluation
from studio.services.evaluation.summary import summarize
from studio.services.evaluation.trained import (ELICITED_ONLY, FILLED_MARK, reward_scores, trained_conditions,
                                                train_ids)
from tests.review import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def labeled():
    ds = factories.sst2_review_dataset(train=20, test=6, name="sst2-plan")
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=2)
    train = list(Example.objects.filter(dataset=ds, split="train").order_by("position").values_list("pk", flat=True))
    factories.annotate(ds, factories.annotators(3, prefix="pl"), train[:15], accuracy=0.8, seed=3)
    return ds, run, train


@pytest.mark.parametrize("options,field,message", [
    ({"measures": ["foo"]}, "measures", "measures: 'foo' not among in-context, trained"),
    ({"measures": "trained, vibes"}, "measures", "measures: 'vibes' not among"),
    ({"measures": "trained", "trainer": "x"}, "trainer", "trainer must be one of probe, finetune; got 'x'"),
    ({"measures": "trained", "trainer": 7}, "trainer", "trainer must be one of probe, finetune; got '7'"),
    ({"measures": "trained", "max_train": "-1"}, "max_train", "max_train must be between 2 and 100000; got -1"),
    ({"measures": "trained", "max_train": "many"}, "max_train", "max_train must be a whole number; got 'many'"),
    ({"measures": "trained", "max_train": True}, "max_train", "max_train must be a whole number"),
    ({"max_train": "8"}, "max_train", "max_train applies to the trained measure: add 'trained' to measures"),
    ({"measures": "trained", "finetune_steps": "5"}, "finetune_steps", "finetune_steps applies to the finetune"),
])
def test_hostile_trained_options_are_refused_by_name_and_change_nothing(labeled, options, field, message):
    with pytest.raises(evaluation.EvaluationRefused, match=message) as refused:
        evaluation.start_evaluation(labeled[0], options=options)
    assert refused.value.field == field
    assert not Evaluation.objects.exists()


def test_every_trained_condition_of_a_repeat_trains_on_the_same_items(labeled):
    ds, run, train = labeled
    config = evaluation.validate_options(ds, {"measures": "in-context trained", "repeats": "3", "seed": "5",
                                              "calibrate": "center"})
    p = evaluation.plan(ds, config)
    pool = p.pool
    assert pool == train[:15], "the items every source labeled (the people labeled 15)"
    conditions = trained_conditions(p, config, pairs=False)
    assert [c.key for c in conditions] == ["trained:random", "trained:people", f"trained:run:{run.pk}", "trained:gold"]
    assert [c.name for c in conditions] == ["Probe trained on random labels", "Probe trained on people's labels",
                                            f"Probe trained on ICM run {run.pk}'s labels", "Probe trained on gold labels"]
    draws = [r.train_ids for r in p.repeats]
    for r in p.repeats:
        assert len(r.train_ids) == 12 and set(r.train_ids) <= set(pool)  # a seeded 80% of the pool
        assert sorted(r.train_ids, key=pool.index) == r.train_ids
        assert set(r.train_random) == set(r.train_ids) and sum(r.train_random.values()) == 6  # half true
        for c in conditions:  # each condition's labels exist for exactly the repeat's items
            labels = r.train_random if c.labels is None else c.labels
            assert all(i in labels for i in r.train_ids)
    assert len({tuple(d) for d in draws}) == 3, "repeats differ"
    assert [r.train_ids for r in evaluation.plan(ds, config).repeats] == draws, "seeded"
    one = evaluation.plan(ds, {**config, "repeats": 1})
    assert one.repeats[0].train_ids == pool, "one repeat trains on the whole pool"
    capped = evaluation.plan(ds, {**config, "max_train": 5})
    assert all(len(r.train_ids) == 5 for r in capped.repeats)


def test_a_runs_elicited_plus_filled_labels_train_as_their_own_marked_condition_on_the_shared_items(monkeypatch,
                                                                                                     tmp_path):
    ds = factories.sst2_review_dataset(train=20, test=4, name="sst2-filled")
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=2, filled=0.4, filled_accuracy=0.5)
    kinds = dict(run.labels.values_list("example_id", "kind"))
    elicited = {i for i, k in kinds.items() if k == "elicited"}
    filled = {i for i, k in kinds.items() if k == "filled"}
    assert elicited and filled
    config = evaluation.validate_options(ds, {"measures": "in-context trained", "repeats": "2", "seed": "1",
                                              "conditions": "random icm gold", "calibrate": "center"})
    p = evaluation.plan(ds, config)
    assert set(p.pool) == elicited, "the demonstrations: the items the search labeled"
    assert set(p.trained_pool) == elicited | filled, "the trained measure: every item the run's export labels"
    conditions = {c.key: c for c in trained_conditions(p, config, pairs=False)}
    assert list(conditions) == ["trained:random", f"trained:run:{run.pk}", f"trained:run:{run.pk}:filled",
                                "trained:gold"]
    both = conditions[f"trained:run:{run.pk}:filled"]
    assert both.name == f"Probe trained on ICM run {run.pk}'s elicited + filled labels" and FILLED_MARK in both.marks
    labels = dict(run.labels.values_list("example_id", "label"))
    for r in p.repeats:
        assert set(r.train_ids) & filled, "the draw reaches items only the fill labeled"
        for key in ("trained:random", f"trained:run:{run.pk}:filled", "trained:gold"):
            assert train_ids(conditions[key], r) == r.train_ids, key
        assert [both.labels[i] for i in r.train_ids] == [labels[i] for i in r.train_ids], "the run's own labels"
        only = train_ids(conditions[f"trained:run:{run.pk}"], r)
        assert only == [i for i in r.train_ids if i in elicited], "elicited only: its part of the same draw"
    assert ELICITED_ONLY in conditions[f"trained:run:{run.pk}"].marks
    # run as the worker runs it (features stood in: this test is about which labels train which probe)
    from studio.services.engine_port import training
    from studio.services.evaluation.trained import run_trained

    seen = {}

    def features(backend, prompts, store, **kw):
        return np.array([[float(len(p)), float(k)] for k, p in enumerate(prompts)])

    def fit(X, y, **kw):
        seen.setdefault(len(seen), (len(X), list(y)))
        return training.fit_probe(X, y, **kw)

    monkeypatch.setattr(training, "compute_features", features)
    monkeypatch.setattr(training, "feature_store", lambda: training.FeatureStore(tmp_path))
    out = run_trained(ds, p, config, None, evaluation_id=1, progress=lambda now: None, fit=fit)
    rows = {c.key: f for c, f in zip(out.conditions, [out.fits[c.key] for c in out.conditions])}
    assert [f["n_train"] for f in rows[f"trained:run:{run.pk}:filled"]] == [len(r.train_ids) for r in p.repeats]
    assert [f["n_train"] for f in rows[f"trained:run:{run.pk}"]] == [
        len([i for i in r.train_ids if i in elicited]) for r in p.repeats]
    first = p.repeats[0]
    assert seen[2] == (len(first.train_ids), [labels[i] for i in first.train_ids]), "the filled condition's inputs"
    from studio.services.evaluation.summary import phrase
    assert phrase({"measure": "trained", "kind": "icm", "run_id": run.pk, "trainer": "probe",
                   "source": f"run:{run.pk}:filled"}) == (
        f"a probe trained on ICM run {run.pk}'s elicited + filled labels")
    # a run without filled labels: one condition, and the two pools agree (as before)
    plain = factories.sst2_review_dataset(train=10, test=4, name="sst2-unfilled")
    factories.completed_run(plain, "train", accuracy=0.75, seed=3)
    q = evaluation.plan(plain, evaluation.validate_options(plain, {"measures": "trained", "conditions": "icm gold",
                                                                           "calibrate": "center"}))
    assert q.trained_pool == q.pool and len(trained_conditions(q, {"conditions": ["icm", "gold"], "model": "m"},
                                                               pairs=False)) == 2


def test_the_reward_model_score_is_antisymmetric_over_the_two_orders():
    test_ids = [10, 11, 12, 13, 14]
    partners = {10: 11, 11: 10, 12: 13, 13: 12}  # 14 has no partner among the test items
    scores = np.array([2.0, 1.0, -0.5, 0.5, 0.3])
    s = reward_scores(scores, test_ids, partners)
    assert s.tolist() == pytest.approx([0.5, -0.5, -0.5, 0.5, 0.3])
    labels = s > 0
    assert labels[0] != labels[1] and labels[2] != labels[3], "exactly one order of each pair is true"


def _row(key, kind, measure, right, **extra):
    return {"key": key, "kind": kind, "name": key, "measure": measure, "run_id": 3 if kind == "icm" else None,
            "trainer": "probe", **extra}, [right]


def test_the_verdict_and_gap_recovered_come_from_the_trained_measure():
    n = 60
    rng = np.random.default_rng(0)

    def right(p):
        return [bool(x) for x in rng.random(n) < p]

    rows = [_row("zero-shot", "zero-shot", "in-context", right(0.5)),
            _row("people", "people", "in-context", right(0.6)),
            _row("run:3", "icm", "in-context", right(0.6)),
            _row("gold", "gold", "in-context", right(0.6)),
            _row("trained:people", "people", "trained", right(0.55)),
            _row("trained:run:3", "icm", "trained", [True] * 50 + [False] * 10),
            _row("trained:gold", "gold", "trained", [True] * 57 + [False] * 3)]
    conditions = [c for c, _ in rows]
    correct = {c["key"]: r for c, r in rows}
    out = summarize(conditions, correct, seed=0)
    assert out["verdict_measure"] == "trained"
    assert out["verdict"].startswith("Trained measure (probe): A probe trained on ICM run 3's labels beats a probe "
                                     "trained on the people's labels by ")
    assert "ICM run 3's labels" in out["verdicts"]["in-context"] and "probe" not in out["verdicts"]["in-context"]
    trained_gaps = {g["key"]: g for g in out["gap_recovered"] if g.get("measure") == "trained"}
    weak = trained_gaps["trained:run:3|people"]
    acc = {k: sum(v[0]) / n for k, v in correct.items()}
    assert weak["value"] == pytest.approx((acc["trained:run:3"] - acc["trained:people"])
                                          / (acc["trained:gold"] - acc["trained:people"]))
    assert "gold" in weak["label"] and "trained:people" in weak["label"]
    assert {g["key"] for g in out["gap_recovered"] if g.get("measure") != "trained"} >= {"run:3|people"}
    # without trained rows the verdict is the in-context one, as before
    plain = summarize(conditions[:4], {k: correct[k] for k in ("zero-shot", "people", "run:3", "gold")}, seed=0)
    assert plain["verdict_measure"] in ("in-context", None) and not plain["verdict"].startswith("Trained")


def test_the_dashboard_marks_the_trained_rows(labeled, client, admin_user):
    ds, run, _ = labeled
    row = {"per_repeat": [{"accuracy": 0.5, "correct": 3, "n": 6}], "mean": 0.5, "sd": None, "ci_low": 0.2,
           "ci_high": 0.8, "n": 6, "n_demos": 0, "marks": [], "consistency": None}
    ev = Evaluation.objects.create(dataset=ds, state="completed", config={"model": "smollm2", "calibrate": "center"}, results={
        "test_split": "test", "train_split": "train", "n_test": 6, "test_ids": [], "measures": ["in-context", "trained"],
        "conditions": [{**row, "key": "gold", "kind": "gold", "name": "Gold labels", "measure": "in-context"},
                       {**row, "key": "trained:gold", "kind": "gold", "name": "Probe trained on gold labels",
                        "measure": "trained", "trainer": "probe", "n_train": [12]},
                       {**row, "key": "zero-shot", "kind": "zero-shot", "name": "Zero-shot", "measure": "in-context"}],
        "comparisons": [], "verdict": "Trained measure (probe): No detectable difference", "verdict_measure": "trained",
        "verdicts": {"in-context": "In-context sentence.", "trained": "No detectable difference"},
        "trained": {"trainer": "probe", "train_ids": [list(range(12))], "pool": 15, "reward_model": False,
                    "n_pairs": 0, "features": {"rule": "final-hidden-last-token/v1", "computed": 0, "reused": 26}},
        "trained_models": {"trained:gold": [{}]}, "repeats": [], "gap_recovered": []})
    client.force_login(admin_user)
    html = client.get(f"/review/{ds.slug}/?split=test").content.decode()
    table = html[html.index('id="comparison-table"'):html.index("</table>", html.index('id="comparison-table"'))]
    keys = [part.split('"')[0] for part in table.split('data-bar="')[1:]]
    assert keys == ["zero-shot", "gold", "trained:gold"], "in-context rows first, then the trained ones"
    trained_row = table[table.index('data-bar="trained:gold"'):]
    assert "measure-trained" in trained_row and ">trained<" in trained_row
    assert 'data-measure="trained"' in html and "In context: In-context sentence." in html
    assert "0 computed, 26 reused from the cache" in html and 'id="trained-models-download"' in html
    assert 'name="measures" value="trained"' in html and 'name="trainer"' in html
    # the conditions as CSV, each row with its measure
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(client.get(f"/review/{ds.slug}/evaluations/{ev.pk}/results.csv")
                                            .content.decode())))
    assert [(r["key"], r["measure"], r["n_train"], r["n"]) for r in table] == [
        ("gold", "in-context", "", "6"), ("trained:gold", "trained", "12", "6"), ("zero-shot", "in-context", "", "6")]
    assert 'id="evaluation-csv"' in html
