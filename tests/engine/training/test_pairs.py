"""Comparison datasets: the trained per-item scorer made antisymmetric over a pair's two orders (the reward
model) and its pairwise accuracy."""
import numpy as np
import pytest

from elicitation.errors import InputError
from elicitation.training import antisymmetric, comparison_pairs, pairwise_accuracy


def test_the_pair_score_is_antisymmetric_and_cancels_a_bias_toward_true():
    f_ab = np.array([2.5, 0.4, 1.0])
    f_ba = np.array([0.5, 0.6, -1.0])  # item 1: the scorer leans "true" for both orders
    s = antisymmetric(f_ab, f_ba)
    np.testing.assert_allclose(s, [1.0, -0.1, 1.0])
    np.testing.assert_allclose(antisymmetric(f_ba, f_ab), -s)
    # per-item labels would call both orders of items 0 and 1 true; the pair score picks one order
    assert pairwise_accuracy(s, [True, False, True]) == 1.0
    assert pairwise_accuracy(s, [False, False, False]) == pytest.approx(1 / 3)


def test_pairs_are_found_by_group_and_key():
    groups = ["q1", "q1", "q2", None, "q3", "q2"]
    keys = ["A>B", "B>A", "A>B", None, "A>B", "B>A"]
    assert comparison_pairs(groups, keys) == [(0, 1), (2, 5)]  # q3 has one order only
    with pytest.raises(InputError, match="group 'g' has 3 keys"):
        comparison_pairs(["g"] * 3, ["a", "b", "c"])


def test_mismatched_inputs_are_refused():
    with pytest.raises(InputError):
        antisymmetric([1, 2], [1])
    with pytest.raises(InputError, match="no pairs"):
        pairwise_accuracy([], [])
