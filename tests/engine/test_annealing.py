"""Algorithm 1's annealing pieces: schedules, the acceptance rule, sampling weights. Pure logic."""
import math
import random
from collections import Counter

import pytest

from elicitation.annealing import (GROUP_WEIGHT, accept, acceptance_probability, sample_example, sampling_weights,
                                   temperature)

T, F, N = True, False, None


def test_log_schedule_cools_with_accepted_flips_as_in_the_official_code():
    t = lambda flips: temperature("log", t0=10, t_min=0.01, beta=0.99, iteration=999, accepted_flips=flips)
    assert t(0) == 10
    assert t(1) == pytest.approx(10 / (1 + 2 * math.log(2)))
    assert t(100) == pytest.approx(10 / (1 + 2 * math.log(101)))
    assert t(10**300) >= 0.01 and temperature("log", t0=0.05, t_min=0.01, beta=0, iteration=0,
                                                accepted_flips=10**6) == 0.01


def test_paper_schedule_cools_with_the_iteration_number():
    t = lambda it: temperature("paper", t0=10, t_min=0.01, beta=0.99, iteration=it, accepted_flips=999)
    assert t(0) == 10  # n = 1: log 1 = 0
    assert t(99) == pytest.approx(10 / (1 + 0.99 * math.log(100)))
    assert t(1) > t(10) > t(1000)
    assert temperature("paper", t0=1, t_min=0.5, beta=10, iteration=10**6, accepted_flips=0) == 0.5


def test_acceptance_rule():
    assert acceptance_probability(0.1, 1.0) == 1.0
    assert acceptance_probability(0.0, 1.0) == 1.0
    assert acceptance_probability(-2.0, 4.0) == pytest.approx(math.exp(-0.5))
    assert acceptance_probability(-1e9, 0.01) == 0.0  # no overflow, no error


def test_improvements_are_always_accepted_and_worse_moves_at_rate_exp_delta_over_t():
    rng = random.Random(0)
    assert all(accept(0.5, 0.01, rng) for _ in range(1000))
    rng = random.Random(1)
    rate = sum(accept(-1.0, 2.0, rng) for _ in range(20000)) / 20000
    assert rate == pytest.approx(math.exp(-0.5), abs=0.01)


def test_accept_draws_exactly_one_number_whatever_the_sign():
    a, b = random.Random(5), random.Random(5)
    accept(3.0, 1.0, a)
    accept(-3.0, 1.0, b)
    assert a.random() == b.random()


def test_sampling_weights_favour_unlabeled_members_of_groups_with_a_labeled_member():
    labels = [T, N, N, N, F, N]
    groups = [0, 0, 1, 1, 2, 3]
    assert sampling_weights(labels, groups) == [1, GROUP_WEIGHT, 1, 1, 1, 1]
    assert GROUP_WEIGHT == 100


def test_sampling_follows_the_weights():
    labels = [T, N, N]
    groups = [0, 0, 1]
    rng = random.Random(0)
    counts = Counter(sample_example(labels, groups, rng) for _ in range(20000))
    assert counts[1] / 20000 == pytest.approx(100 / 102, abs=0.01)
    assert counts[0] > 0 and counts[2] > 0
