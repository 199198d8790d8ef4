"""The SST-2 sample the engine's measurements use (benchmarks/sst2_128_folds.py, sst2_accuracy.py, score_cost.py)."""
from tests.support import sst2


def test_the_measurement_sample_is_balanced_and_keeps_gold_out_of_the_problem():
    problem, gold = sst2.problem(128)
    assert len(problem) == 128 and sum(gold.values()) == 64
    assert all(" \nClaim" not in e.prompt for e in problem.examples)  # the space before the TSV's tab is stripped
    assert all(set(vars(e)) == {"id", "prompt", "group", "key"} for e in problem.examples)
