"""Whole-split ICM: a problem cut into batches of whole consistency groups, each searched on its own.

`partition(problem, batch_size, seed)` is pure and deterministic for a seed: groups (an example without a
group is a group of one) are shuffled by the seed, then placed largest first into the currently smallest
batch. So batch sizes differ by at most the largest group (by one without groups), and no group is ever
split. A group larger than batch_size becomes a batch of its own (listed in `Partition.oversized`).
`batch_seed(run_seed, index)` derives each batch's search seed; `batch_problem` builds its Problem.
"""
from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from .errors import InputError
from .problem import Problem

MAX_SEED = 2**32 - 1


class Partition(list):
    """list[list[example_id]] (ids in problem order; batches ordered by their first example), plus:
    `oversized` — indices of batches that are one group larger than batch_size; `batch_size`; `seed`."""

    def __init__(self, batches, *, batch_size: int, seed: int, oversized: list[int]):
        super().__init__(batches)
        self.batch_size = batch_size
        self.seed = seed
        self.oversized = oversized

    def warning(self) -> str | None:
        if not self.oversized:
            return None
        sizes = ", ".join(f"batch {i}: {len(self[i])}" for i in self.oversized)
        return (f"{len(self.oversized)} consistency group(s) hold more than --batch-size {self.batch_size} examples "
                f"and each form a batch of their own ({sizes})")


@dataclass(frozen=True)
class BatchInfo:
    index: int
    size: int
    groups: int
    seed: int
    oversized: bool

    def to_dict(self) -> dict:
        return {"index": self.index, "size": self.size, "groups": self.groups, "seed": self.seed,
                "oversized": self.oversized}


def batch_seed(run_seed: int, index: int) -> int:
    """The search seed of batch `index` of a run seeded `run_seed`: stable across machines and Python versions."""
    digest = hashlib.sha256(f"icm-batch|{int(run_seed)}|{int(index)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (MAX_SEED + 1)


def _groups(problem: Problem) -> list[list[int]]:
    """Positions of each group's members, groups in first-appearance order."""
    members: dict[int, list[int]] = {}
    for position, g in enumerate(problem.group_ids()):
        members.setdefault(g, []).append(position)
    return [members[g] for g in sorted(members)]


def partition(problem: Problem, batch_size: int, seed: int = 0) -> Partition:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be an integer, got {seed!r}")
    groups = _groups(problem)
    random.Random(seed).shuffle(groups)
    big = [g for g in groups if len(g) > batch_size]
    rest = [g for g in groups if len(g) <= batch_size]
    total = sum(len(g) for g in rest)
    bins: list[list[int]] = [[] for _ in range(math.ceil(total / batch_size))]
    loads = [0] * len(bins)
    # Largest first into the smallest batch (ties: the lower index); the sort is stable, so equal-sized groups
    # keep the seed's shuffled order, which is what makes batches differ between seeds.
    for g in sorted(rest, key=len, reverse=True):
        k = min(range(len(bins)), key=lambda b: (loads[b], b))
        bins[k].extend(g)
        loads[k] += len(g)
    batches = [sorted(b) for b in bins] + [sorted(g) for g in big]
    batches.sort(key=lambda b: b[0])
    big_firsts = {min(g) for g in big}
    oversized = [i for i, b in enumerate(batches) if b[0] in big_firsts]
    ids = [e.id for e in problem.examples]
    return Partition([[ids[p] for p in b] for b in batches], batch_size=batch_size, seed=seed, oversized=oversized)


def batch_problem(problem: Problem, ids) -> Problem:
    """The sub-problem of these examples (same consistency mode, problem order)."""
    wanted = {str(i) for i in ids}
    chosen = [e for e in problem.examples if str(e.id) in wanted]
    if len(chosen) != len(wanted):
        raise InputError("a batch names example ids the problem does not have")
    return Problem(chosen, consistency=problem.consistency)


def describe(problem: Problem, parts: Partition) -> list[BatchInfo]:
    """One row per batch: index, size, number of groups, derived seed, whether it is an oversized group."""
    group_of = dict(zip((str(e.id) for e in problem.examples), problem.group_ids()))
    return [BatchInfo(index=i, size=len(b), groups=len({group_of[str(x)] for x in b}),
                      seed=batch_seed(parts.seed, i), oversized=i in parts.oversized)
            for i, b in enumerate(parts)]
