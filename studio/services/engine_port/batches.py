"""A run's examples cut into the engine's batches (whole consistency groups, seeded), with each batch's
coverage: whether its iterations can visit every example once in expectation. Light: no model is loaded."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from elicitation import batch_problem, batch_seed, coverage, partition

from .work_problem import problem_of


@dataclass(frozen=True)
class PlannedBatch:
    index: int
    example_ids: list[int]
    groups: int
    seed: int
    oversized: bool
    coverage: dict  # elicitation.Coverage.to_dict(), plus "warning" (None when enough)
    prompt_chars: int  # characters of its examples' prompts, in all (for the time estimate)


def plan_batches(rows: Iterable[tuple], consistency: str, *, batch_size: int, seed: int,
                 iterations: int, initial_labels: int = 0) -> tuple[list[PlannedBatch], str | None]:
    """rows: (pk, prompt, group, key) in run order. Returns the batches and the partition's own warning (a
    consistency group larger than the batch size). `initial_labels`: the search's K, labeled before the first
    iteration (they count toward coverage)."""
    problem = problem_of(rows, consistency)
    if not problem.examples:
        return [], None
    parts = partition(problem, batch_size, seed)
    group_of = dict(zip((e.id for e in problem.examples), problem.group_ids()))
    planned = []
    for i, ids in enumerate(parts):
        sub = batch_problem(problem, ids)
        cov = coverage(sub, iterations, initial_labels)
        planned.append(PlannedBatch(index=i, example_ids=[int(x) for x in ids],
                                    groups=len({group_of[x] for x in ids}), seed=batch_seed(seed, i),
                                    oversized=i in parts.oversized,
                                    coverage={**cov.to_dict(), "warning": cov.warning()},
                                    prompt_chars=sum(len(e.prompt) for e in sub.examples)))
    return planned, parts.warning()
