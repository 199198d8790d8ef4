"""The paired comparison's statistics against scipy and statsmodels on fixed data."""
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from studio.services import paired_stats
from studio.services.evaluation.summary import sentence, summarize


def _fixed(n=200, seed=11):
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.78
    b = np.where(rng.random(n) < 0.7, a, rng.random(n) < 0.6)
    return a, b


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_mcnemar_exact_p_matches_statsmodels(seed):
    a, b = _fixed(seed=seed)
    ours = paired_stats.mcnemar_exact(a.tolist(), b.tolist())
    table = [[int(np.sum(a & b)), int(np.sum(a & ~b))], [int(np.sum(~a & b)), int(np.sum(~a & ~b))]]
    assert ours["only_a"] == table[0][1] and ours["only_b"] == table[1][0]
    assert ours["p"] == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)


def test_mcnemar_without_discordant_items_is_one():
    assert paired_stats.mcnemar_exact([True, False], [True, False])["p"] == 1.0


def test_paired_bootstrap_interval_matches_scipy():
    a, b = _fixed()
    ours = paired_stats.paired_bootstrap_difference(a.astype(float), b.astype(float), n_boot=20000, seed=3)
    ref = stats.bootstrap((a.astype(float), b.astype(float)), lambda x, y: np.mean(x - y), paired=True,
                          vectorized=False, n_resamples=20000, method="percentile", random_state=4)
    assert ours["diff"] == pytest.approx(np.mean(a) - np.mean(b))
    assert ours["ci_low"] == pytest.approx(ref.confidence_interval.low, abs=0.006)
    assert ours["ci_high"] == pytest.approx(ref.confidence_interval.high, abs=0.006)


def test_mean_interval_matches_scipy():
    a, _ = _fixed()
    lo, hi = paired_stats.bootstrap_mean_ci(a.astype(float), n_boot=20000, seed=5)
    ref = stats.bootstrap((a.astype(float),), np.mean, n_resamples=20000, method="percentile", random_state=6)
    assert (lo, hi) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high), abs=0.006)


def test_mean_and_sd_over_repeats():
    mean, sd = paired_stats.mean_sd([0.7, 0.75, 0.8])
    assert mean == pytest.approx(0.75) and sd == pytest.approx(np.std([0.7, 0.75, 0.8], ddof=1))
    assert paired_stats.mean_sd([0.7]) == (0.7, None)


def _cond(key, kind, **kw):
    return {"key": key, "kind": kind, "name": key, **kw}


def test_the_verdict_sentence_says_who_won_and_by_how_much():
    icm, people = _cond("run:3", "icm", run_id=3), _cond("people", "people")
    assert sentence(icm, people, {"diff": 0.12, "ci_low": 0.041, "ci_high": 0.198, "p": 0.004, "n": 200}) == (
        "ICM run 3's labels beat the people's labels by 12.0 points (95% CI 4.1 to 19.8; p = 0.004) on 200 test items.")
    assert sentence(icm, people, {"diff": -0.1, "ci_low": -0.15, "ci_high": -0.05, "p": 0.0001, "n": 50}) == (
        "ICM run 3's labels trail the people's labels by 10.0 points (95% CI 5.0 to 15.0; p < 0.001) on 50 test items.")
    assert sentence(icm, _cond("zero-shot", "zero-shot"),
                    {"diff": 0.01, "ci_low": -0.03, "ci_high": 0.05, "p": 0.62, "n": 200}).startswith(
        "No detectable difference between ICM run 3's labels and zero-shot prompting: +1.0 points")
    tie = sentence(icm, people, {"diff": -1e-17, "ci_low": -0.5, "ci_high": 1e-9, "p": 1.0, "n": 8})
    assert "0.0 points (95% CI −50.0 to 0.0; p = 1.000)" in tie and "−0.0" not in tie and "+" not in tie


def test_summary_compares_every_pair_on_the_same_items_and_leads_with_icm_against_people():
    a, b = _fixed()
    zero = [[bool(x) for x in b]] * 3
    icm = [[bool(x) for x in a]] * 3
    people = [[bool(x) for x in np.roll(b, k)] for k in range(3)]
    conditions = [_cond("zero-shot", "zero-shot"), _cond("people", "people"), _cond("run:1", "icm", run_id=1)]
    out = summarize(conditions, {"zero-shot": zero, "people": people, "run:1": icm}, seed=0)
    assert len(out["comparisons"]) == 3
    assert "ICM run 1's labels and the people's labels" in out["verdict"]  # ICM first, against the people
    people_mean = np.mean([np.mean(r) for r in people])
    assert conditions[1]["mean"] == pytest.approx(people_mean)
    assert conditions[1]["sd"] == pytest.approx(np.std([np.mean(r) for r in people], ddof=1))
    assert conditions[0]["sd"] == 0.0  # zero-shot has no demonstrations to redraw
