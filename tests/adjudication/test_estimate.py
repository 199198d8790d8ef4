"""The adjudication's statistics on real preset items with real gold (the adjudicator answers gold).

Items: the alpaca preset's 467 comparison pairs (icm-wen2025/test_alpaca.json, first order of each pair), gold =
the file's `label`. Sources: "people" = the first crowd annotator's real votes (`candidate_label[0]`, a real
person's label); "ICM" = a seeded STAND-IN that gives gold flipped on 20% of items (no ICM run is made here: a real
one costs minutes of the bundled model per item set). The sampling and the estimate are the studio's own."""
import json
import math
import random

import numpy as np
import pytest

from studio.services.adjudication import estimate, sampling
from pathlib import Path

PRESETS = Path(__file__).resolve().parents[2] / "studio" / "presets"


@pytest.fixture(scope="module")
def alpaca():
    rows = json.load(open(PRESETS / "icm-wen2025" / "test_alpaca.json"))[::2]
    gold = [bool(r["label"]) for r in rows]
    people = [bool(r["candidate_label"][0]) for r in rows]
    rng = random.Random(23)
    icm = [g if rng.random() >= 0.2 else not g for g in gold]
    return gold, icm, people


def _adjudicate(gold, a, b, budget, seed, share=0.8):
    """One seeded adjudication: draw, let the (simulated) expert answer gold, count."""
    ids = range(len(gold))
    dis = [i for i in ids if a[i] != b[i]]
    agr = [i for i in ids if a[i] == b[i]]
    draws = sampling.draw(dis, agr, budget, share, seed=seed)
    d = [x.example_id for x in draws if x.stratum == sampling.DISAGREE]
    g = [x.example_id for x in draws if x.stratum == sampling.AGREE]
    return estimate.Counts(n_items=len(gold), n_disagree=len(dis), a_right=sum(a[i] == gold[i] for i in d),
                           d_adjudicated=len(d), g_right=sum(a[i] == gold[i] for i in g), g_adjudicated=len(g))


def test_200_adjudications_of_40_cover_the_gold_difference(alpaca):
    gold, icm, people = alpaca
    n = len(gold)
    truth = (sum(x == g for x, g in zip(icm, gold)) - sum(x == g for x, g in zip(people, gold))) / n  # one division
    assert abs(truth) > 0.01  # the sources differ: the test can fail
    covered, points, widths = 0, [], []
    for seed in range(200):
        c = _adjudicate(gold, icm, people, 40, seed)
        assert c.d_adjudicated == 32 and c.g_adjudicated == 8
        diff = estimate.difference(c)
        covered += diff["ci_low"] <= truth <= diff["ci_high"]
        points.append(diff["estimate"])
        widths.append(diff["ci_high"] - diff["ci_low"])
    assert covered / 200 >= 0.93, covered
    assert abs(np.mean(points) - truth) <= 0.01, (np.mean(points), truth)
    # 32 adjudicated disagreements give an answer, not a shrug: the interval is narrower than D allows (±|D|/N)
    n_dis = sum(a != b for a, b in zip(icm, people))
    assert np.mean(widths) < 0.6 * (2 * n_dis / n)


def test_each_sources_stratified_interval_covers_its_gold_accuracy(alpaca):
    gold, icm, people = alpaca
    n = len(gold)
    acc = {"a": sum(x == g for x, g in zip(icm, gold)) / n, "b": sum(x == g for x, g in zip(people, gold)) / n}
    covered = {"a": 0, "b": 0}
    for seed in range(200):
        res = estimate.accuracies(_adjudicate(gold, icm, people, 40, 1000 + seed))
        for k in covered:
            covered[k] += res[k]["ci_low"] <= acc[k] <= res[k]["ci_high"]
            assert res[k]["ci_low"] <= res[k]["estimate"] <= res[k]["ci_high"]
    assert covered["a"] / 200 >= 0.93 and covered["b"] / 200 >= 0.93, covered


def _brute_interval(x, n, M, alpha=0.05):
    def pmf(j, K):
        return math.comb(K, j) * math.comb(M - K, n - j) / math.comb(M, n)
    ok = [K for K in range(M + 1)
          if sum(pmf(j, K) for j in range(x, n + 1)) > alpha / 2 and sum(pmf(j, K) for j in range(0, x + 1)) > alpha / 2]
    return min(ok), max(ok)


@pytest.mark.parametrize("x,n,M", [(0, 5, 20), (3, 5, 20), (5, 5, 20), (12, 30, 61), (7, 7, 7), (0, 1, 1)])
def test_exact_interval_matches_the_hypergeometric_definition(x, n, M):
    assert estimate.hypergeom_interval(x, n, M) == _brute_interval(x, n, M)


def test_adjudicating_all_of_d_gives_the_exact_difference():
    c = estimate.Counts(n_items=100, n_disagree=20, a_right=15, d_adjudicated=20)
    d = estimate.difference(c)
    assert d["ci_low"] == d["ci_high"] == pytest.approx(0.10) == d["estimate"]


def test_sources_that_never_disagree_differ_by_exactly_zero_and_no_adjudication_is_a_wide_interval():
    assert estimate.difference(estimate.Counts(n_items=50, n_disagree=0))["estimate"] == 0.0
    d = estimate.difference(estimate.Counts(n_items=50, n_disagree=10))
    assert d["estimate"] is None and (d["ci_low"], d["ci_high"]) == (-0.2, 0.2)


def test_more_for_half_width_roughly_reaches_the_width(alpaca):
    gold, icm, people = alpaca
    first = _adjudicate(gold, icm, people, 20, 5)
    plan = estimate.more_for_half_width(first, 0.05)
    assert plan["more_disagreements"] > 0 and plan["more_total"] >= plan["more_disagreements"]
    budget = math.ceil((first.d_adjudicated + plan["more_disagreements"]) / 0.8)
    halves = [(lambda d: (d["ci_high"] - d["ci_low"]) / 2)(estimate.difference(_adjudicate(gold, icm, people, budget, s)))
              for s in range(30)]
    assert 0.035 <= float(np.mean(halves)) <= 0.06  # about ±5 points, as promised


def test_sampling_is_seeded_shuffled_and_weighted():
    dis, agr = list(range(100)), list(range(100, 1000))
    a = sampling.draw(dis, agr, 50, 0.8, seed=7)
    assert a == sampling.draw(list(reversed(dis)), agr, 50, 0.8, seed=7)
    assert [x.order for x in a] == list(range(50))
    strata = [x.stratum for x in a]
    assert strata.count("disagree") == 40 and strata.count("agree") == 10
    assert strata[:40] != ["disagree"] * 40  # mixed, not D first
    assert {x.weight for x in a if x.stratum == "disagree"} == {100 / 40}
    assert {x.weight for x in a if x.stratum == "agree"} == {900 / 10}
    assert sampling.stratum_sizes(50, 5, 1000) == (5, 45) and sampling.stratum_sizes(50, 1000, 3) == (47, 3)


def test_a_gold_difference_on_the_intervals_boundary_is_covered():
    """24 items, 15 disagreements, 13 adjudicated: the exact interval often ends exactly at the truth (5 of 15
    right: −5/24); the bounds are computed so that the same rational compares equal."""
    truth = (14 - 19) / 24
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(500):
        x = int((rng.permutation(15)[:13] < 5).sum())
        d = estimate.difference(estimate.Counts(n_items=24, n_disagree=15, a_right=x, d_adjudicated=13))
        covered += d["ci_low"] <= truth <= d["ci_high"]
    assert covered == 500
