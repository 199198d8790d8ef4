"""U = α·P − I, both P definitions, and calibration, including what calibration does to a whole search."""
import math

import pytest

from elicitation import ICMConfig, run_icm
from elicitation.energy import energy, log_sigmoid, predictability

from .fakes import ScriptedBackend, signal_problem

T, F, N = True, False, None


def test_mean_logodds_signs_each_score_by_its_label():
    raw = {0: 2.0, 1: -1.0, 2: 0.5}
    assert predictability([T, F, T], raw, score="mean-logodds", offset=0) == pytest.approx((2 + 1 + 0.5) / 3)
    assert predictability([F, T, T], raw, score="mean-logodds", offset=0) == pytest.approx((-2 - 1 + 0.5) / 3)


def test_sum_logprob_sums_two_word_normalized_log_probabilities():
    raw = {0: 2.0, 1: -1.0}
    expected = math.log(1 / (1 + math.exp(-2))) + math.log(1 / (1 + math.exp(-1)))
    assert predictability([T, F], raw, score="sum-logprob", offset=0) == pytest.approx(expected)
    assert log_sigmoid(-800) == pytest.approx(-800) and log_sigmoid(800) == pytest.approx(0)


def test_energy_is_alpha_times_p_minus_inconsistencies():
    e = energy([T, F, N], {0: 1.0, 1: -3.0}, 2, alpha=50, score="mean-logodds", calibrate="none")
    assert e.predictability == pytest.approx(2.0)
    assert e.value == pytest.approx(50 * 2.0 - 2)
    assert energy([N, N], {}, 0, alpha=50, score="mean-logodds", calibrate="none").value == 0


def test_centering_removes_the_constant_labeling_optimum():
    # Log-odds all lean True, as a small model's do: uncalibrated, all-True is the best labeling.
    raw = {0: 3.0, 1: 2.5, 2: 1.0, 3: 0.5}
    all_true, split = [T, T, T, T], [T, T, F, F]
    none = lambda labels: energy(labels, raw, 0, alpha=1, score="mean-logodds", calibrate="none").value
    center = lambda labels: energy(labels, raw, 0, alpha=1, score="mean-logodds", calibrate="center").value
    assert none(all_true) > none(split)
    assert center(all_true) == pytest.approx(0.0)
    assert center(split) > center(all_true)
    e = energy(split, raw, 0, alpha=1, score="mean-logodds", calibrate="center")
    assert e.offset == pytest.approx(1.75)


def biased_backend():
    """Every prompt's log-odds lean True by +3 around a ±1 signal (the query's `signal`)."""
    from .fakes import query_signal

    return ScriptedBackend(lambda p: 3.0 + query_signal(p))


def test_uncalibrated_search_collapses_to_one_label_and_centering_recovers_the_signal():
    signals = [1, -1] * 6
    problem = signal_problem(signals)
    base = dict(seed=3, iterations=150, initial_labels=4)
    plain = run_icm(problem, ICMConfig(**base), biased_backend())
    centered = run_icm(problem, ICMConfig(calibrate="center", **base), biased_backend())
    # (mean log-odds: adding an example scored below the mean lowers U, so a few may stay unlabeled)
    assert {v for v in plain.labels.values() if v is not None} == {True}
    assert plain.summary["label_counts"]["true"] >= 10
    assert plain.summary["degenerate"] is True and plain.summary["calibrate"] == "none"
    truth = {f"x{i}": s > 0 for i, s in enumerate(signals)}
    assert centered.labels == truth
    assert centered.summary["degenerate"] is False and centered.summary["calibrate"] == "center"
    assert centered.summary["true_share"] == 0.5
    # Reported scores are the centered log-odds; their signs match the labels.
    assert all((centered.scores[k] > 0) == v for k, v in centered.labels.items())
