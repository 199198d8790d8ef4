"""Consistency rules (I(D)) and Algorithm 2 (ConsistencyFix). Pure logic: no model."""
import itertools
import random

import pytest

from elicitation import Example, InputError, Problem
from elicitation.consistency import COMPARISON, DIFFERENT_KEYS, SAME_KEY, Rules, consistent_assignments
from elicitation.consistency_fix import consistency_fix
from elicitation.energy import Energy

T, F, N = True, False, None


def problem(keys, groups=None, consistency="keys"):
    groups = groups or ["g"] * len(keys)
    return Problem([Example(f"e{i}", f"p{i}", g, k) for i, (g, k) in enumerate(zip(groups, keys))],
                   consistency=consistency)


def violated(p, labels):
    return [(v.i, v.j, v.rule) for v in Rules(p).violations(labels)]


def test_same_key_means_same_label():
    p = problem(["42", "42"])
    assert violated(p, [T, F]) == [(0, 1, SAME_KEY)]
    assert violated(p, [F, T]) == [(0, 1, SAME_KEY)]
    assert violated(p, [T, T]) == [] and violated(p, [F, F]) == []


def test_different_keys_are_not_both_true_but_may_both_be_false():
    p = problem(["42", "17"])
    assert violated(p, [T, T]) == [(0, 1, DIFFERENT_KEYS)]
    assert violated(p, [T, F]) == violated(p, [F, T]) == violated(p, [F, F]) == []


def test_comparison_claims_exactly_one_true():
    p = problem(["A>B", "B>A"], consistency="comparison")
    assert violated(p, [T, T]) == [(0, 1, COMPARISON)]
    assert violated(p, [F, F]) == [(0, 1, COMPARISON)]
    assert violated(p, [T, F]) == violated(p, [F, T]) == []


def test_rules_apply_only_inside_a_group_and_only_between_labeled_examples():
    p = problem(["42", "17", "42"], groups=["g1", "g2", "g1"])
    assert violated(p, [T, T, F]) == [(0, 2, SAME_KEY)]  # 0 and 1 are in different groups
    assert violated(p, [T, T, N]) == []                    # an unlabeled example breaks nothing


def test_examples_without_group_or_key_are_unconstrained():
    p = Problem([Example("a", "p", None, "k1"), Example("b", "p", None, "k2"), Example("c", "p", "g", None),
                 Example("d", "p", "g", "k1")], consistency="keys")
    assert Rules(p).pairs == []


def test_consistency_none_ignores_metadata():
    p = problem(["42", "17"], consistency="none")
    assert violated(p, [T, T]) == []


def test_comparison_group_with_more_than_two_keys_is_refused():
    with pytest.raises(InputError, match="3 distinct keys"):
        problem(["A>B", "B>A", "C>A"], consistency="comparison")


def test_consistent_assignments_enumerate_what_each_rule_allows():
    assert consistent_assignments(SAME_KEY) == [(T, T), (F, F)]
    assert consistent_assignments(DIFFERENT_KEYS) == [(T, F), (F, T), (F, F)]
    assert consistent_assignments(COMPARISON) == [(T, F), (F, T)]


def scripted_energy(prefer, rules, alpha=1.0):
    """U = alpha * (how many labels agree with `prefer`) − inconsistencies: a stand-in for α·P − I."""
    def evaluate(labels):
        agree = sum(1 for y, want in zip(labels, prefer) if y is not None and y == want)
        bad = rules.count(labels)
        return Energy(alpha * agree - bad, agree, bad, 0.0)
    return evaluate


def test_consistency_fix_resolves_every_violation_when_a_consistent_labeling_exists():
    # Three math questions (groups), four candidate answers each; answers with equal keys agree.
    keys = ["5", "5", "7", "9", "1", "2", "1", "3", "x", "y", "y", "z"]
    groups = ["q1"] * 4 + ["q2"] * 4 + ["q3"] * 4
    p = problem(keys, groups)
    rules = Rules(p)
    start = [T, F, T, T, T, T, F, T, T, T, F, T]  # many violations
    assert rules.count(start) >= 8
    evaluate = scripted_energy(start, rules, alpha=0.1)  # the model likes the inconsistent labels a little
    fixed, e = consistency_fix(start, evaluate(start), rules=rules, evaluate=evaluate, rounds=50,
                               rng=random.Random(0))
    assert rules.count(fixed) == 0
    assert e.inconsistencies == 0 and e.value == evaluate(fixed).value
    assert e.value > evaluate(start).value


def test_consistency_fix_never_applies_an_assignment_that_lowers_u():
    p = problem(["a", "a"])
    rules = Rules(p)
    start = [T, F]
    # The model strongly prefers the inconsistent labeling: fixing costs more than the one inconsistency.
    evaluate = scripted_energy(start, rules, alpha=5.0)
    fixed, e = consistency_fix(start, evaluate(start), rules=rules, evaluate=evaluate, rounds=10,
                               rng=random.Random(0))
    assert fixed == start and e.value == evaluate(start).value


def test_consistency_fix_keeps_the_best_assignment_of_the_pair():
    p = problem(["a", "b"])  # different keys: (T,F), (F,T) or (F,F)
    rules = Rules(p)
    evaluate = scripted_energy([F, T], rules, alpha=1.0)
    fixed, _ = consistency_fix([T, T], evaluate([T, T]), rules=rules, evaluate=evaluate, rounds=1,
                               rng=random.Random(0))
    assert fixed == [F, T]


def test_consistency_fix_does_nothing_without_violations():
    p = problem(["a", "b"])
    rules = Rules(p)
    calls = []

    def evaluate(labels):
        calls.append(labels)
        return Energy(0, 0, 0, 0)

    fixed, _ = consistency_fix([T, F], Energy(0, 0, 0, 0), rules=rules, evaluate=evaluate, rounds=10,
                               rng=random.Random(0))
    assert fixed == [T, F] and calls == []


def test_consistency_fix_respects_the_round_limit():
    keys = ["a", "a"] * 3
    groups = ["g1", "g1", "g2", "g2", "g3", "g3"]
    p = problem(keys, groups)
    rules = Rules(p)
    start = [T, F] * 3
    evaluate = scripted_energy([None] * 6, rules)
    fixed, _ = consistency_fix(start, evaluate(start), rules=rules, evaluate=evaluate, rounds=2,
                               rng=random.Random(1))
    assert rules.count(fixed) == 1  # two rounds fix two of the three pairs


@pytest.mark.parametrize("labels", list(itertools.product([T, F, N], repeat=3)))
def test_violation_count_matches_a_brute_force_reading_of_the_rules(labels):
    p = problem(["A>B", "B>A", "A>B"], consistency="comparison")
    expected = 0
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        a, b = labels[i], labels[j]
        if a is None or b is None:
            continue
        same = p.examples[i].key == p.examples[j].key
        expected += (a != b) if same else (a == b)
    assert Rules(p).count(list(labels)) == expected
