"""The probe trainer on synthetic features (no model): C is chosen by cross-validation on the labels it is
given and nothing else, a one-class label set gives a flagged constant predictor, and a probe exported as JSON
scores the same after loading."""
import inspect
import json

import numpy as np
import pytest

from elicitation.errors import InputError
from elicitation.training import Probe, check_trainer_options, fit_probe, train_and_predict


def data(n=200, d=20, seed=0):
    rng = np.random.default_rng(seed)
    gold = rng.random(n) < 0.5
    X = rng.normal(size=(n, d)) + np.outer(np.where(gold, 1.0, -1.0), np.r_[1.5, np.zeros(d - 1)])
    return X.astype(np.float32), gold


def flip(labels, share, seed):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(len(labels)) < share, ~labels, labels)


def test_no_trainer_takes_a_gold_argument():
    for fn in (fit_probe, train_and_predict):
        assert not [p for p in inspect.signature(fn).parameters if "gold" in p.lower()]


def test_cross_validation_sees_only_the_sources_labels(monkeypatch):
    """Every logistic-regression fit (the CV folds and the final refit) is instrumented: the labels each sees
    are rows of the source's labels, and the choice of C follows the source (random labels: CV accuracy near
    chance), not the gold labels the features were drawn from."""
    from sklearn.linear_model import LogisticRegression

    X, gold = data()
    source = np.random.default_rng(7).random(len(gold)) < 0.5  # a random source
    seen = []
    original = LogisticRegression.fit

    def spy(self, Z, y, *a, **k):
        seen.append(np.asarray(y).copy())
        return original(self, Z, y, *a, **k)

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    probe = fit_probe(X, list(source), seed=0, folds=5)
    final = seen[-1]
    np.testing.assert_array_equal(final, source)
    assert not np.array_equal(final, gold)
    cv_fits = seen[:-1]
    assert len(cv_fits) == 5 * len(probe.cv_accuracy)
    # each fold's training labels are the source's labels minus one fifth: 4 × the source's count of true
    per_c = sum(int(y.sum()) for y in cv_fits[:5])
    assert per_c == 4 * int(source.sum()) != 4 * int(gold.sum())
    assert max(probe.cv_accuracy.values()) < 0.62  # measured against the random labels, not against gold
    on_gold = fit_probe(X, list(gold), seed=0, folds=5)
    assert max(on_gold.cv_accuracy.values()) > 0.8


def test_the_same_labels_give_the_same_probe_and_better_labels_a_better_probe():
    X, gold = data(n=400)
    X_test, gold_test = X[200:], gold[200:]
    accs = {}
    for share in (0.0, 0.2, 0.4):
        labels = flip(gold[:200], share, seed=1)
        a = fit_probe(X[:200], list(labels), seed=3)
        b = fit_probe(X[:200], list(labels), seed=3)
        assert a.C == b.C and np.array_equal(a.coef, b.coef)
        accs[share] = float(np.mean(a.predict(X_test) == gold_test))
    assert accs[0.0] > 0.85 and accs[0.0] >= accs[0.2] > accs[0.4]


def test_one_class_labels_give_a_flagged_constant_predictor():
    X, _ = data(n=30)
    probe = fit_probe(X, [True] * 30)
    assert probe.degenerate and probe.C is None and probe.cv == "none"
    assert probe.predict(X).all() and np.all(probe.decision(X) > 0)
    assert fit_probe(X, [False] * 30).predict(X).sum() == 0
    few = fit_probe(X[:4], [True, True, True, False])  # one label of a class: no folds possible
    assert few.cv == "skipped" and not few.degenerate


def test_an_exported_probe_scores_the_same_after_loading():
    X, gold = data()
    probe = fit_probe(X, list(gold), model_fingerprint="abc123")
    blob = json.loads(json.dumps(probe.to_dict()))
    assert blob["feature_rule"] == "final-hidden-last-token/v1" and blob["model_fingerprint"] == "abc123"
    again = Probe.from_dict(blob)
    np.testing.assert_allclose(again.decision(X), probe.decision(X), rtol=1e-6, atol=1e-8)
    with pytest.raises(InputError, match="not a probe"):
        Probe.from_dict({"coef": [1.0]})
    with pytest.raises(InputError, match=r"shape \[n, 20\]"):
        probe.decision(X[:, :5])


@pytest.mark.parametrize("kwargs, match", [
    ({"cs": []}, "cs must be"), ({"cs": [0.1, -1]}, "cs must be"), ({"folds": 1}, "folds must be"),
])
def test_bad_probe_options_are_refused_by_name(kwargs, match):
    X, gold = data(n=20)
    with pytest.raises(InputError, match=match):
        fit_probe(X, list(gold), **kwargs)


def test_bad_labels_are_refused():
    X, gold = data(n=20)
    with pytest.raises(InputError, match="true/false"):
        fit_probe(X, [None] + list(gold[1:]))
    with pytest.raises(InputError, match="20 feature rows but 19 labels"):
        fit_probe(X, list(gold[1:]))


@pytest.mark.parametrize("trainer, options, match", [
    ("svm", {}, "trainer must be one of probe, finetune, got 'svm'"),
    ("probe", {"epochs": 3}, "unknown option.*epochs"),
    ("probe", {"folds": 0}, "folds must be"),
    ("finetune", {"steps": 0}, "steps must be"),
    ("finetune", {"steps": -5}, "steps must be"),
    ("finetune", {"lr": 0}, "lr must be"),
    ("finetune", {"lr": float("nan")}, "lr must be"),
    ("finetune", {"rank": 0}, "rank must be"),
    ("finetune", {"rank": 100000}, "rank must be"),
    ("finetune", {"cs": [1.0]}, "unknown option.*cs"),
])
def test_hostile_trainer_options_are_refused_by_name(trainer, options, match):
    with pytest.raises(InputError, match=match):
        check_trainer_options(trainer, options)


def test_defaults_are_filled_in():
    assert check_trainer_options("finetune", {"steps": 8})["rank"] == 8
    assert check_trainer_options("probe", None)["folds"] == 5
