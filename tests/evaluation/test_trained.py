"""The trained measure (issue 22) with the real bundled model on CPU: a probe on the model's cached features,
trained on each label source's labels of the same train items, predicts the test items. What a user would
notice: gold never reaches a non-gold source's training (changing the train items' gold changes only the gold
condition), every trained condition of a repeat trains on the same items, a second evaluation computes no
feature again, the trained weights can be downloaded and reproduce the predictions."""
import hashlib
import json

import numpy as np
import pytest
from django.core.management import call_command

from studio.models import Evaluation, Example, GoldLabel
from studio.services import evaluation
from tests.review import factories

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

OPTIONS = {"measures": ["trained"], "repeats": 2, "seed": 4, "conditions": "zero-shot random people icm gold"}


@pytest.fixture(scope="module")
def features_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("features")


@pytest.fixture(autouse=True)
def _features(settings, features_dir):
    settings.STUDIO_FEATURES_DIR = features_dir


@pytest.fixture
def labeled():
    ds = factories.sst2_review_dataset(train=16, test=8, name="sst2-trained")
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=2)
    train = list(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    factories.annotate(ds, factories.annotators(3, prefix="tr"), train, accuracy=0.7, seed=3)
    return ds, run


def _run(ds, options=OPTIONS) -> Evaluation:
    ev = evaluation.start_evaluation(ds, options=options, enqueue=False)
    ev = evaluation.execute_evaluation(ev.pk)
    assert ev.state == "completed", ev.error
    return ev


def _by_key(ev):
    return {c["key"]: c for c in ev.results["conditions"]}


def test_gold_reaches_only_the_gold_condition_and_features_are_computed_once(labeled, monkeypatch):
    from studio.services.engine_port import training

    ds, run = labeled
    calls = []
    real_fit = training.fit_probe

    def watched(X, y, **kw):
        calls.append({"X": hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest(), "y": list(map(bool, y)),
                      "seed": kw.get("seed")})
        return real_fit(X, y, **kw)

    monkeypatch.setattr(training, "fit_probe", watched)
    first = _run(ds)
    res = first.results
    keys = [c["key"] for c in res["conditions"]]
    trained = ["trained:random", "trained:people", f"trained:run:{run.pk}", "trained:gold"]
    assert keys == ["zero-shot", *trained]
    assert all(_by_key(first)[k]["measure"] == "trained" for k in trained)
    assert _by_key(first)["trained:gold"]["name"] == "Probe trained on gold labels"
    assert res["conditions"][0]["measure"] == "in-context"  # zero-shot: the untrained reference
    # every trained condition of a repeat trained on the same items (the same feature rows); repeats differ
    assert len(calls) == 2 * len(trained)
    per_repeat = [calls[:4], calls[4:]]
    for r, group in enumerate(per_repeat):
        assert len({c["X"] for c in group}) == 1, "one set of train items per repeat"
        assert {c["seed"] for c in group} == {res["repeats"][r]["seed"]}
    assert per_repeat[0][0]["X"] != per_repeat[1][0]["X"]
    ids0, ids1 = res["trained"]["train_ids"]
    assert ids0 != ids1 and len(ids0) == len(ids1) == round(0.8 * res["trained"]["pool"])
    # the gold fit got gold, the others their own labels
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
    assert per_repeat[0][3]["y"] == [gold[i] for i in ids0]
    runs_labels = next(s for s in evaluation.plan(ds, first.config).sources if s.kind == "icm").labels
    assert per_repeat[0][2]["y"] == [runs_labels[i] for i in ids0]
    features = res["trained"]["features"]
    assert features["computed"] == 24 and features["reused"] == 0  # 16 train + 8 test prompts, once
    for c in res["conditions"]:
        assert len(c["predictions"]) == 2 and all(len(p) == 8 for p in c["predictions"]) and c["n"] == 8

    # Gold of the train items turned around: the gold condition learns the opposite, no other condition moves
    # (neither its predictions nor its cross-validated strength), and no feature is computed again.
    for g in GoldLabel.objects.filter(example__dataset=ds, example__split="train"):
        g.label = not g.label
        g.save(update_fields=["label"])
    calls.clear()
    second = _run(ds)
    assert second.results["trained"]["features"] == {**features, "computed": 0, "reused": 24,
                                                     "seconds": second.results["trained"]["features"]["seconds"]}
    a, b = _by_key(first), _by_key(second)
    for key in ["trained:random", "trained:people", f"trained:run:{run.pk}"]:
        assert b[key]["predictions"] == a[key]["predictions"], key
        assert b[key]["fits"] == a[key]["fits"], key
    assert b["trained:gold"]["predictions"] != a["trained:gold"]["predictions"]
    assert b["trained:gold"]["mean"] < a["trained:gold"]["mean"]

    # the trained weights are downloadable and reproduce the stored predictions on the test items
    from elicitation.training import Probe, compute_features

    artifact = second.results["trained_models"][f"trained:run:{run.pk}"][1]
    assert artifact["feature_rule"] and artifact["model_fingerprint"] and artifact["C"] is not None
    probe = Probe.from_dict(json.loads(json.dumps(artifact)))
    backend, _ = __import__("studio.services.engine_port", fromlist=["get_backend"]).get_backend(
        model="smollm2", kind="hf", device="cpu")
    prompts = [Example.objects.get(pk=i).prompt for i in second.results["test_ids"]]
    X = compute_features(backend, prompts, training.feature_store(), label_words=(ds.true_word, ds.false_word))
    assert [bool(x) for x in probe.predict(X)] == b[f"trained:run:{run.pk}"]["predictions"][1]


def test_both_measures_in_one_evaluation_and_the_command(labeled, capsys):
    ds, run = labeled
    call_command("evaluate", ds.slug, "--trained", "--repeats", "1", "--max-demos", "2", "--max-test", "4",
                 "--conditions", "zero-shot", "icm", "gold")
    out = capsys.readouterr().out
    assert f"Probe trained on ICM run {run.pk}'s labels [trained]" in out
    ev = Evaluation.objects.get(dataset=ds)
    measures = {c["key"]: c["measure"] for c in ev.results["conditions"]}
    assert measures == {"zero-shot": "in-context", f"run:{run.pk}": "in-context", "gold": "in-context",
                        f"trained:run:{run.pk}": "trained", "trained:gold": "trained"}
    assert all(c["n"] == 4 for c in ev.results["conditions"])
    assert ev.results["verdict"].startswith("Trained measure (probe): ")
    assert ev.results["verdicts"]["in-context"] and ev.results["verdict_measure"] == "trained"
    assert f"Verdict: {ev.results['verdict']}" in out
    assert "Trained measure: probe on 16 train items per repeat" in out
    assert any(g.get("measure") == "trained" and g["against"] == "people" for g in ev.results["gap_recovered"])


def test_on_comparison_pairs_the_trained_scorer_is_a_reward_model():
    """Both orders of each pair are test items: the trained scorer is antisymmetric over them, so exactly one
    order of every pair is predicted true, and the results call it a reward model."""
    from tests.studies.factories import pairs_dataset

    ds = pairs_dataset(train_pairs=4, test_pairs=3, name="pairs trained")
    ev = _run(ds, {"measures": ["trained"], "repeats": 1, "conditions": "zero-shot random gold"})
    res = ev.results
    assert res["trained"]["reward_model"] is True and res["trained"]["n_pairs"] == 3
    gold = _by_key(ev)["trained:gold"]
    assert gold["name"] == "Reward model (probe) trained on gold labels" and gold["reward_model"] is True
    groups = dict(Example.objects.filter(pk__in=res["test_ids"]).values_list("pk", "group"))
    predicted = dict(zip(res["test_ids"], gold["predictions"][0]))
    by_pair = {}
    for pk, value in predicted.items():
        by_pair.setdefault(groups[pk], []).append(value)
    assert all(sorted(v) == [False, True] for v in by_pair.values()), by_pair
    # the accuracy over the test items is the pairwise accuracy: a pair is right in both orders or in neither
    truth = dict(GoldLabel.objects.filter(example_id__in=res["test_ids"]).values_list("example_id", "label"))
    pairs_right = sum(predicted[pk] == truth[pk] for pk in res["test_ids"] if Example.objects.get(pk=pk).key == "A>B")
    assert gold["mean"] == pytest.approx(pairs_right / 3)
