"""Whole-split partition: batches of whole consistency groups, balanced, seeded, covering every example once.
Checked on real group structures: TruthfulQA's multi-answer groups (the consistency ids of the paper's
train_truthfulqa.json, Wen et al. 2025 release) and comparison pairs (A>B / B>A)."""
import json
from collections import Counter
from pathlib import Path

import pytest

from elicitation import Example, InputError, Problem, batch_problem, batch_seed, partition

TRUTHFULQA = Path("/work/shared/data/icm-wen2025/train_truthfulqa.json")


def truthfulqa_problem() -> Problem:
    """The real group shapes (2 to 10+ answers per question); prompts are placeholders, gold is not read."""
    rows = json.loads(TRUTHFULQA.read_text())
    return Problem([Example(f"t{k}", f"answer {k} is ", group=r["consistency_id"], key=r["choice"])
                    for k, r in enumerate(rows)], consistency="keys")


def comparison_problem(pairs=60, singles=7) -> Problem:
    examples = []
    for g in range(pairs):
        examples += [Example(f"c{g}a", f"A{g}>B{g} is ", group=f"p{g}", key="A>B"),
                     Example(f"c{g}b", f"B{g}>A{g} is ", group=f"p{g}", key="B>A")]
    examples += [Example(f"s{k}", f"single {k} is ") for k in range(singles)]
    return Problem(examples, consistency="comparison")


def group_of(problem):
    return {e.id: (e.group if e.group is not None else ("solo", e.id)) for e in problem.examples}


def check_partition(problem, parts, batch_size):
    groups = group_of(problem)
    flat = [i for b in parts for i in b]
    assert sorted(map(str, flat)) == sorted(str(e.id) for e in problem.examples)  # every example exactly once
    assert len(flat) == len(set(flat))
    owner = {}
    for k, b in enumerate(parts):
        for i in b:
            assert owner.setdefault(groups[i], k) == k, f"group {groups[i]!r} split over batches"
    sizes = Counter(groups.values())
    largest = max(s for s in sizes.values() if s <= batch_size)
    normal = [len(b) for k, b in enumerate(parts) if k not in parts.oversized]
    assert max(normal) - min(normal) <= largest
    for k in parts.oversized:
        assert len({groups[i] for i in parts[k]}) == 1 and len(parts[k]) > batch_size


@pytest.mark.skipif(not TRUTHFULQA.exists(), reason="the paper's TruthfulQA release is not in /work/shared/data")
@pytest.mark.parametrize("batch_size", [16, 64, 250])
def test_truthfulqa_groups_are_never_split_and_batches_are_balanced(batch_size):
    problem = truthfulqa_problem()
    parts = partition(problem, batch_size, seed=3)
    check_partition(problem, parts, batch_size)
    assert len(parts) == -(-len(problem) // batch_size)  # about batch_size each, no extra tiny batch
    assert all(len(b) <= batch_size + max(Counter(group_of(problem).values()).values()) for b in parts)


def test_comparison_pairs_stay_together_and_sizes_differ_by_at_most_a_pair():
    problem = comparison_problem()
    parts = partition(problem, 20, seed=0)
    check_partition(problem, parts, 20)
    sizes = [len(b) for b in parts]
    assert len(parts) == 7 and max(sizes) - min(sizes) <= 2  # 127 examples: no batch of 7 left over


def test_without_groups_sizes_differ_by_at_most_one():
    problem = Problem([Example(k, f"x{k} is ") for k in range(101)])
    parts = partition(problem, 25, seed=1)
    assert sorted(len(b) for b in parts) == [20, 20, 20, 20, 21]
    check_partition(problem, parts, 25)


def test_deterministic_for_a_seed_and_different_for_another():
    problem = comparison_problem()
    a, b, c = partition(problem, 20, seed=5), partition(problem, 20, seed=5), partition(problem, 20, seed=6)
    assert a == b
    assert a != c
    assert [set(x) for x in a] != [set(x) for x in c]


def test_a_group_larger_than_the_batch_size_is_its_own_batch_and_said_so():
    examples = [Example(f"big{k}", f"b{k} is ", group="big", key=str(k % 2)) for k in range(9)]
    examples += [Example(f"s{k}", f"s{k} is ") for k in range(10)]
    problem = Problem(examples, consistency="keys")
    parts = partition(problem, 4, seed=0)
    check_partition(problem, parts, 4)
    assert len(parts.oversized) == 1
    assert sorted(parts[parts.oversized[0]]) == sorted(f"big{k}" for k in range(9))
    assert "more than --batch-size 4" in parts.warning()
    assert partition(Problem([Example(1, "x is ")]), 4).warning() is None


def test_batch_seeds_are_stable_distinct_and_in_range():
    seeds = [batch_seed(0, i) for i in range(50)]
    assert len(set(seeds)) == 50 and all(0 <= s < 2**32 for s in seeds)
    assert batch_seed(0, 3) == batch_seed(0, 3) != batch_seed(1, 3)
    assert batch_seed(0, 0) == 900698729  # pinned: a batch's seed must not change between versions


def test_batch_problem_keeps_order_and_mode_and_bad_sizes_are_refused():
    problem = comparison_problem(pairs=3, singles=2)
    sub = batch_problem(problem, ["s1", "c0b", "c0a"])
    assert [e.id for e in sub.examples] == ["c0a", "c0b", "s1"] and sub.consistency == "comparison"
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="batch_size"):
            partition(problem, bad)
