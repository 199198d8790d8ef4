"""Comparison datasets (consistency "comparison": a group holds a claim "A > B" and its reverse "B > A"). A
per-item scorer f becomes a pair scorer s(A, B) = (f(AB) − f(BA)) / 2, antisymmetric by construction
(s(B, A) = −s(A, B)): what the paper calls a reward model. It is judged by pairwise accuracy on test pairs."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError


def comparison_pairs(groups: Sequence, keys: Sequence) -> list[tuple[int, int]]:
    """(index of the first order, index of the reverse order) for every group holding both of its two keys;
    the first order is the key seen first. Items without a group or key, or groups with one order, are left
    out."""
    if len(groups) != len(keys):
        raise InputError(f"{len(groups)} groups but {len(keys)} keys")
    by_group: dict[str, dict[str, int]] = {}
    for i, (g, k) in enumerate(zip(groups, keys)):
        if g is None or k is None:
            continue
        by_group.setdefault(str(g), {}).setdefault(str(k), i)
    pairs = []
    for g, orders in by_group.items():
        if len(orders) > 2:
            raise InputError(f"group {g!r} has {len(orders)} keys; a comparison group holds a claim and its reverse")
        if len(orders) == 2:
            a, b = orders.values()
            pairs.append((a, b))
    return pairs


def antisymmetric(scores_ab, scores_ba) -> np.ndarray:
    """s(A, B) = (f(AB) − f(BA)) / 2 for each pair."""
    ab = np.asarray(scores_ab, dtype=np.float64)
    ba = np.asarray(scores_ba, dtype=np.float64)
    if ab.shape != ba.shape:
        raise InputError(f"{ab.shape} scores for one order but {ba.shape} for the other")
    return (ab - ba) / 2.0


def pairwise_accuracy(pair_scores, truth_ab: Sequence[bool]) -> float:
    """Share of pairs where the reward model prefers what is true (s > 0 ⇔ the first order's claim is true). A
    tie (s == 0) counts as wrong."""
    s = np.asarray(pair_scores, dtype=np.float64)
    t = np.asarray(list(truth_ab), dtype=bool)
    if s.shape != t.shape:
        raise InputError(f"{s.shape[0] if s.ndim else 0} pair scores but {len(t)} truths")
    if len(t) == 0:
        raise InputError("no pairs to measure")
    return float(np.mean(np.where(t, s > 0, s < 0)))
