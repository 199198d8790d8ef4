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

The K initial labels (drawn uniformly, before the first iteration) label some examples and reach their groups:
group g is left unreached with probability q_g = C(n − size_g, K) / C(n, K), and holds K·size_g/n of them in
expectation. Then E counts only the unreached groups (E = ∫₀^∞ 1 − Π_g (1 − q_g·e^(−p_g·t)) dt), the partner
draws are Σ_g (size_g − K·size_g/n − q_g) (a reached group's members not labeled at the start), and the
unvisited ones Σ_g q_g·size_g·(1 − p_g)^t. With K ≥ n nothing is left to visit: no warning can apply (one used
to say a run whose every example was labeled at the start would leave some never drawn).
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


def _unreached(sizes: list[int], initial_labels: int) -> list[float]:
    """q_g: the probability that none of group g's members is among the initial labels (hypergeometric)."""
    n, k = sum(sizes), min(initial_labels, sum(sizes))
    out = []
    for s in sizes:
        # C(n − s, k) / C(n, k) = Π_{i<k} (n − s − i) / (n − i)
        q = 1.0
        for i in range(k):
            if n - s - i <= 0:
                q = 0.0
                break
            q *= (n - s - i) / (n - i)
        out.append(q)
    return out


def expected_draws_to_reach_all(sizes: list[int], unreached: list[float] | None = None) -> float:
    """Expected weight-1 draws (uniform over examples) until every group has been drawn once; `unreached`: each
    group's probability of needing a draw at all (q_g; default 1: none reached at the start)."""
    n = sum(sizes)
    if n == 0:
        return 0.0
    if unreached is None and set(sizes) == {1}:
        return n * sum(1 / k for k in range(1, n + 1))  # the classic coupon collector
    unreached = [1.0] * len(sizes) if unreached is None else unreached
    by_rate = Counter((s / n, q) for s, q in zip(sizes, unreached) if q > 0)
    if not by_rate:
        return 0.0

    def tail(t: float) -> float:  # P(not every group reached by time t)
        if t <= 0:
            return 1.0
        log_all = sum(c * math.log1p(-q * math.exp(-p * t)) for (p, q), c in by_rate.items())
        return -math.expm1(log_all)

    t_max = max(math.log(c * 1e12) / p for (p, _), c in by_rate.items())
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
    initial_labels: int = 0     # examples labeled before the first iteration (K, at most `examples`)

    @property
    def enough(self) -> bool:
        return self.iterations >= self.needed

    def warning(self) -> str | None:
        if self.enough:
            return None
        start = f", {self.initial_labels} labeled at the start" if self.initial_labels else ""
        return (f"{self.iterations} iterations are too few to draw each of {self.examples} examples "
                f"({self.groups} groups{start}) once in expectation: about {self.needed} are needed under the engine's "
                f"sampling, and about {self.expected_unvisited:.0f} examples are expected never to be drawn "
                f"(left unlabeled unless filled)")

    def to_dict(self) -> dict:
        return {"examples": self.examples, "groups": self.groups, "iterations": self.iterations,
                "needed": self.needed, "enough": self.enough, "expected_unvisited": round(self.expected_unvisited, 2),
                "initial_labels": self.initial_labels}


def _partner_draws(sizes: list[int], unreached: list[float], initial_labels: int) -> float:
    """Draws of a reached group's members not labeled at the start: Σ_g (size_g − K·size_g/n − q_g)."""
    n = sum(sizes)
    k = min(initial_labels, n)
    return max(0.0, sum(s - k * s / n - q for s, q in zip(sizes, unreached))) if n else 0.0


def iterations_for_coverage(problem: Problem, initial_labels: int = 0) -> int:
    """Iterations after which every example has been drawn (or labeled at the start) once, in expectation (see
    the module's notes)."""
    sizes = group_sizes(problem)
    unreached = _unreached(sizes, initial_labels)
    return math.ceil(expected_draws_to_reach_all(sizes, unreached if initial_labels else None)
                     + _partner_draws(sizes, unreached, initial_labels) - 1e-9)


def coverage(problem: Problem, iterations: int, initial_labels: int = 0) -> Coverage:
    """`initial_labels`: the search's K (ICMConfig.initial_labels), labeled before the first iteration."""
    sizes = group_sizes(problem)
    n = sum(sizes)
    unreached = _unreached(sizes, initial_labels)
    t = max(0.0, iterations - _partner_draws(sizes, unreached, initial_labels))
    if n > 1:
        unvisited = sum(q * s * (1 - s / n) ** t for s, q in zip(sizes, unreached))
    else:
        unvisited = 0.0 if iterations or initial_labels >= n else float(n)
    return Coverage(examples=n, groups=len(sizes), iterations=iterations,
                    needed=iterations_for_coverage(problem, initial_labels), expected_unvisited=unvisited,
                    initial_labels=min(initial_labels, n))
