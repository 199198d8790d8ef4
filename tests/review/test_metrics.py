"""The review numbers against hand-computed values, published examples, scikit-learn and `krippendorff`."""
import math
import random

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from studio.services import metrics


@pytest.mark.parametrize(
    "k,n,low,high",
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson).
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_newcombe_1998(k, n, low, high):
    lo, hi = metrics.wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=6e-5)
    assert hi == pytest.approx(high, abs=6e-5)


def test_accuracy_with_ci_and_empty_input():
    a = metrics.accuracy_with_ci(8, 10)
    assert a["accuracy"] == 0.8 and a["correct"] == 8 and a["n"] == 10
    assert a["ci_low"] < 0.8 < a["ci_high"]
    assert metrics.accuracy_with_ci(0, 0) == {"correct": 0, "n": 0, "accuracy": None, "ci_low": None, "ci_high": None}
    with pytest.raises(ValueError, match="successes=5, n=3"):
        metrics.wilson_interval(5, 3)


def test_confusion_matrix_matches_sklearn():
    rng = random.Random(1)
    y = [rng.random() < 0.5 for _ in range(200)]
    p = [rng.random() < 0.3 for _ in range(200)]
    assert metrics.confusion_matrix(y, p) == sk_confusion_matrix(y, p, labels=[False, True]).tolist()
    tn, fp, fn, tp = sk_confusion_matrix(y, p, labels=[False, True]).ravel().tolist()
    assert metrics.confusion_from_counts(tp, fp, fn, tn)["matrix"] == metrics.confusion_matrix(y, p)


def test_cohen_kappa_hand_computed_and_against_sklearn():
    # po = 35/50 = 0.7; pe = (25*30 + 25*20)/50^2 = 0.5; kappa = (0.7 - 0.5)/(1 - 0.5) = 0.4
    assert metrics.cohen_kappa_from_table([[20, 5], [10, 15]]) == pytest.approx(0.4)
    rng = random.Random(7)
    for _ in range(20):
        a = [rng.random() < 0.6 for _ in range(150)]
        b = [x if rng.random() < 0.7 else not x for x in a]
        assert metrics.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_cohen_kappa_is_none_when_undefined():
    assert metrics.cohen_kappa([True, True], [True, True]) is None  # chance agreement is 1
    assert metrics.cohen_kappa_from_table([[0, 0], [0, 0]]) is None


def test_fleiss_kappa_matches_fleiss_1971_worked_example():
    # The classic worked example (10 subjects, 14 raters, 5 categories): P̄ = 0.378, P̄e = 0.213, kappa = 0.210.
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
    assert metrics.fleiss_kappa(table) == pytest.approx(0.20993, abs=5e-5)


def test_fleiss_kappa_weights_equal_repeated_rows_and_variable_raters():
    units = [[3, 1], [0, 4], [2, 2], [3, 1], [0, 4], [0, 4]]
    hist = {(3, 1): 2, (0, 4): 3, (2, 2): 1}
    assert metrics.fleiss_kappa(list(hist), weights=list(hist.values())) == pytest.approx(metrics.fleiss_kappa(units))
    # Hand-computed, binary, 4 raters: P_i = 1/2, 1, 1/3, 1/2, 1, 1 → P̄ = 13/18; p = (8/24, 16/24) → P_e = 5/9;
    # kappa = (13/18 − 10/18) / (8/18) = 3/8.
    assert metrics.fleiss_kappa(units) == pytest.approx(3 / 8)
    # A unit with a single rating carries no agreement information and is left out.
    assert metrics.fleiss_kappa(units + [[1, 0]]) == pytest.approx(metrics.fleiss_kappa(units))


KRIPPENDORFF_2011 = [  # "Computing Krippendorff's Alpha-Reliability" (2011), section C: 4 observers x 12 units
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _value_counts(reliability, values):
    units = []
    for u in range(len(reliability[0])):
        col = [row[u] for row in reliability if row[u] is not None]
        units.append([col.count(v) for v in values])
    return units


def test_krippendorff_alpha_matches_krippendorffs_published_example():
    units = _value_counts(KRIPPENDORFF_2011, [1, 2, 3, 4, 5])
    alpha = metrics.krippendorff_alpha_nominal(units)
    assert alpha == pytest.approx(0.743, abs=5e-4)  # the paper's nominal alpha
    data = np.array([[np.nan if v is None else v for v in row] for row in KRIPPENDORFF_2011], dtype=float)
    assert alpha == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12)


def test_krippendorff_alpha_binary_against_the_package_with_missing_votes():
    rng = random.Random(3)
    raters = []
    truth = [rng.random() < 0.5 for _ in range(80)]
    for _ in range(5):
        raters.append([None if rng.random() < 0.3 else (t if rng.random() < 0.8 else not t) for t in truth])
    data = np.array([[np.nan if v is None else float(v) for v in r] for r in raters])
    units = _value_counts(raters, [False, True])
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert metrics.krippendorff_alpha_nominal(units) == pytest.approx(expected, abs=1e-12)


def test_gap_recovered_hand_computed_and_not_meaningful_under_five_points():
    assert metrics.gap_recovered(0.8, 0.6, 0.9)["value"] == pytest.approx(2 / 3)
    small = metrics.gap_recovered(0.62, 0.60, 0.64)
    assert small["meaningful"] is False and small["value"] is None


def test_bootstrap_gap_recovered_interval_contains_the_estimate_and_is_seeded():
    rng = random.Random(5)
    n = 300
    gold = [rng.random() < 0.9 for _ in range(n)]
    weak = [rng.random() < 0.6 for _ in range(n)]
    strong = [rng.random() < 0.8 for _ in range(n)]
    r = metrics.bootstrap_gap_recovered(strong, weak, gold, n_boot=500, seed=1)
    expected = (np.mean(strong) - np.mean(weak)) / (np.mean(gold) - np.mean(weak))
    assert r["value"] == pytest.approx(expected)
    assert r["ci_low"] < r["value"] < r["ci_high"]
    assert r == metrics.bootstrap_gap_recovered(strong, weak, gold, n_boot=500, seed=1)
    flat = metrics.bootstrap_gap_recovered(strong, weak, weak, n_boot=100)
    assert flat["meaningful"] is False and flat["ci_low"] is None and math.isclose(flat["gap"], 0.0)
