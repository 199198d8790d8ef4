"""Logical consistency rules (I(D) of the paper): pairwise, inside a consistency group, over labeled examples.

Rules read only `group` and `key`, never gold labels:
- "keys":       same key ⇒ same label; different keys ⇒ not both true (e.g. two different final answers to one
                math question cannot both be right, but both can be wrong).
- "comparison": same key ⇒ same label; different keys ⇒ exactly one true ("A>B" and "B>A").
- "none":       no rules.
Examples without a group, or without a key, are never in a violated pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product
from typing import Sequence

from .problem import Problem

SAME_KEY = "same-key"            # must share a label
DIFFERENT_KEYS = "different-keys"  # not both true
COMPARISON = "comparison"        # exactly one true


@dataclass(frozen=True)
class Pair:
    i: int
    j: int
    rule: str


def pair_allows(rule: str, a: bool, b: bool) -> bool:
    if rule == SAME_KEY:
        return a == b
    if rule == DIFFERENT_KEYS:
        return not (a and b)
    if rule == COMPARISON:
        return a != b
    raise ValueError(rule)


def consistent_assignments(rule: str) -> list[tuple[bool, bool]]:
    """Every assignment of a pair that satisfies its rule, in a fixed order."""
    return [(a, b) for a, b in product((True, False), repeat=2) if pair_allows(rule, a, b)]


class Rules:
    """The constrained pairs of a problem, precomputed once (they depend on metadata only)."""

    def __init__(self, problem: Problem):
        self.pairs: list[Pair] = []
        if problem.consistency == "none":
            return
        members: dict[str, list[int]] = {}
        for position, ex in enumerate(problem.examples):
            if ex.group is not None and ex.key is not None:
                members.setdefault(str(ex.group), []).append(position)
        for positions in members.values():
            for i, j in combinations(positions, 2):
                same = str(problem.examples[i].key) == str(problem.examples[j].key)
                if same:
                    rule = SAME_KEY
                elif problem.consistency == "comparison":
                    rule = COMPARISON
                else:
                    rule = DIFFERENT_KEYS
                self.pairs.append(Pair(i, j, rule))

    def violations(self, labels: Sequence[bool | None]) -> list[Pair]:
        """Pairs of labeled examples that break their rule, in a fixed order."""
        out = []
        for p in self.pairs:
            a, b = labels[p.i], labels[p.j]
            if a is not None and b is not None and not pair_allows(p.rule, a, b):
                out.append(p)
        return out

    def count(self, labels: Sequence[bool | None]) -> int:
        return len(self.violations(labels))
