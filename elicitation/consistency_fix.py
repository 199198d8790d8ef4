"""Algorithm 2, ConsistencyFix: for up to M rounds, take an inconsistent pair, try every assignment of the
pair that satisfies its rule, keep the one with the highest U, and apply it if it does not lower U.

As in the official code, the inconsistent pairs of a round are tried in a random order until one can be
applied; the fix stops early when nothing is inconsistent or no pair's best assignment keeps U from dropping.
"""
from __future__ import annotations

import random
from typing import Callable

from .consistency import Rules, consistent_assignments
from .energy import Energy

Labels = list  # list[bool | None], by example position


def consistency_fix(labels: Labels, current: Energy, *, rules: Rules, evaluate: Callable[[Labels], Energy],
                    rounds: int, rng: random.Random) -> tuple[Labels, Energy]:
    labels = list(labels)
    for _ in range(rounds):
        pairs = rules.violations(labels)
        if not pairs:
            break
        rng.shuffle(pairs)
        applied = False
        for pair in pairs:
            best: tuple[Labels, Energy] | None = None
            for a, b in consistent_assignments(pair.rule):
                candidate = list(labels)
                candidate[pair.i], candidate[pair.j] = a, b
                e = evaluate(candidate)
                if best is None or e.value > best[1].value:
                    best = (candidate, e)
            if best is not None and best[1].value >= current.value:
                labels, current = best
                applied = True
                break
        if not applied:
            break
    return labels, current
