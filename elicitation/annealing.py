"""Simulated-annealing pieces of Algorithm 1: temperature schedules, the acceptance rule, sampling weights."""
from __future__ import annotations

import math
import random
from typing import Sequence

# An unlabeled example whose consistency group already has a labeled member is this much likelier to be picked.
GROUP_WEIGHT = 100


def temperature(schedule: str, *, t0: float, t_min: float, beta: float, iteration: int, accepted_flips: int) -> float:
    """`log` (official code): T = max(T_min, T0 / (1 + 2·ln(1 + accepted flips))).
    `paper` (Algorithm 1): T = max(T_min, T0 / (1 + β·ln n)), n = 1, 2, … the iteration number."""
    if schedule == "log":
        return max(t_min, t0 / (1 + 2 * math.log(1 + accepted_flips)))
    if schedule == "paper":
        return max(t_min, t0 / (1 + beta * math.log(iteration + 1)))
    raise ValueError(f"unknown schedule {schedule!r}")


def acceptance_probability(delta: float, temp: float) -> float:
    """1 when U does not drop, else exp(ΔU / T)."""
    if delta >= 0:
        return 1.0
    return math.exp(delta / temp)


def accept(delta: float, temp: float, rng: random.Random) -> bool:
    """Always draws one number, so the random stream does not depend on ΔU's sign."""
    return rng.random() < acceptance_probability(delta, temp)


def sampling_weights(labels: Sequence[bool | None], groups: Sequence[int]) -> list[int]:
    """Weight GROUP_WEIGHT for an unlabeled example whose group has a labeled member, 1 otherwise."""
    with_labels = {groups[i] for i, y in enumerate(labels) if y is not None}
    return [GROUP_WEIGHT if y is None and groups[i] in with_labels else 1 for i, y in enumerate(labels)]


def sample_example(labels: Sequence[bool | None], groups: Sequence[int], rng: random.Random) -> int:
    weights = sampling_weights(labels, groups)
    return rng.choices(range(len(labels)), weights=weights, k=1)[0]
