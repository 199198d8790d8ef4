"""How many iterations a search needs to visit every example at least once, in expectation.

The engine's sampling rule (annealing.sample_example): each iteration draws one example, with weight
GROUP_WEIGHT (100) for an unlabeled example whose consistency group already has a labeled member, 1 for every
other example (labeled ones included). An example never drawn can only be labeled through ConsistencyFix, so
a run with too few iterations ends with examples unlabeled.

The estimate assumes a drawn example gets labeled (optimistic: a proposal can be rejected, and with
mean-logodds an example scored below the mean is often left out) and ignores the initial labels (pessimistic):

- Groups (an example without one is its own) are first reached by weight-1 draws, group g with probability
  p_g = size_g / n per draw: the expected draws until every group is reached is the unequal coupon collector's
  E = ∫₀^∞ 1 − Π_g (1 − e^(−p_g·t)) dt (n·H_n ≈ n·(ln n + 0.58) when every group has one example).
- Once a group has a labeled member, its other members weigh 100 and are drawn next, about one draw each:
  Σ_g (size_g − 1) more.

needed = ⌈E + Σ_g (size_g − 1)⌉. After T iterations about Σ_g size_g·(1 − p_g)^(T − Σ(size_g − 1)) examples
are expected never to have been drawn.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .problem import Problem


def group_sizes(problem: Problem) -> list[int]:
    """Size of every consistency group (an example without a group is a group of one), in first-appearance order."""
    counts = Counter(problem.group_ids())
    return [counts[g] for g in sorted(counts)]


def expected_draws_to_reach_all(sizes: list[int]) -> float:
    """Expected weight-1 draws (uniform over examples) until every group has been drawn once."""
    n = sum(sizes)
    if n == 0:
        return 0.0
    by_size = Counter(sizes)
    if set(by_size) == {1}:
        return n * sum(1 / k for k in range(1, n + 1))  # the classic coupon collector
    rates = [(s / n, c) for s, c in by_size.items()]

    def tail(t: float) -> float:  # P(not every group reached by time t)
        if t <= 0:
            return 1.0
        log_all = sum(c * math.log1p(-math.exp(-p * t)) for p, c in rates)
        return -math.expm1(log_all)

    t_max = max(math.log(c * 1e12) / p for p, c in rates)
    steps = 4000  # Simpson's rule; the integrand is smooth and monotone
    h = t_max / steps
    total = tail(0) + tail(t_max) + sum((4 if k % 2 else 2) * tail(k * h) for k in range(1, steps))
    return total * h / 3


@dataclass(frozen=True)
class Coverage:
    examples: int
    groups: int
    iterations: int
    needed: int                 # iterations_for_coverage
    expected_unvisited: float   # examples expected never to be drawn in `iterations`

    @property
    def enough(self) -> bool:
        return self.iterations >= self.needed

    def warning(self) -> str | None:
        if self.enough:
            return None
        return (f"{self.iterations} iterations are too few to draw each of {self.examples} examples "
                f"({self.groups} groups) once in expectation: about {self.needed} are needed under the engine's "
                f"sampling, and about {self.expected_unvisited:.0f} examples are expected never to be drawn "
                f"(left unlabeled unless filled)")

    def to_dict(self) -> dict:
        return {"examples": self.examples, "groups": self.groups, "iterations": self.iterations,
                "needed": self.needed, "enough": self.enough, "expected_unvisited": round(self.expected_unvisited, 2)}


def iterations_for_coverage(problem: Problem) -> int:
    """Iterations after which every example has been drawn once, in expectation (see the module's notes)."""
    sizes = group_sizes(problem)
    return math.ceil(expected_draws_to_reach_all(sizes) + sum(s - 1 for s in sizes))


def coverage(problem: Problem, iterations: int) -> Coverage:
    sizes = group_sizes(problem)
    n = sum(sizes)
    t = max(0, iterations - sum(s - 1 for s in sizes))
    unvisited = sum(s * (1 - s / n) ** t for s in sizes) if n > 1 else (0.0 if iterations else float(n))
    return Coverage(examples=n, groups=len(sizes), iterations=iterations, needed=iterations_for_coverage(problem),
                    expected_unvisited=unvisited)
