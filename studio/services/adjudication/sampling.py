"""Drawing an adjudication's sample (pure: ids in, draws out; no Django).

Mostly from the disagreements D, some from the agreements G (`share_disagreements`, 0.8 by default), each
stratum a uniform sample without replacement, then the two mixed and shuffled together, so the order in which an
expert meets the items says nothing about their stratum. One seeded generator makes every draw; each draw keeps
its stratum and weight (the stratum's size over its sample size: how many items of the stratum it stands for).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DISAGREE = "disagree"
AGREE = "agree"
DEFAULT_SHARE = 0.8


@dataclass(frozen=True)
class Draw:
    example_id: int
    stratum: str
    weight: float
    order: int  # the position the expert meets it in (shuffled over both strata)


def stratum_sizes(budget: int, n_disagree: int, n_agree: int, share: float = DEFAULT_SHARE) -> tuple[int, int]:
    """How many to draw from D and from G: round(budget · share) from D, the rest from G; a stratum too small
    for its part gives the remainder to the other (never more than the budget, never more than exist)."""
    want_d = round(budget * share)
    d = min(n_disagree, want_d)
    g = min(n_agree, budget - d)
    d = min(n_disagree, budget - g)  # agreements too few: the rest from D
    return d, g


def draw(disagree_ids: list[int], agree_ids: list[int], budget: int, share: float = DEFAULT_SHARE,
         seed: int = 0) -> list[Draw]:
    """The sample, in the order the expert meets it."""
    rng = np.random.default_rng(seed)
    n_d, n_g = stratum_sizes(budget, len(disagree_ids), len(agree_ids), share)
    # sorted ids first: the same seed draws the same sample whatever order the ids arrived in
    d = rng.choice(np.array(sorted(disagree_ids), dtype=np.int64), size=n_d, replace=False) if n_d else []
    g = rng.choice(np.array(sorted(agree_ids), dtype=np.int64), size=n_g, replace=False) if n_g else []
    rows = [(int(i), DISAGREE, len(disagree_ids) / n_d) for i in d] + [(int(i), AGREE, len(agree_ids) / n_g) for i in g]
    order = rng.permutation(len(rows))
    return [Draw(rows[j][0], rows[j][1], rows[j][2], pos) for pos, j in enumerate(order)]
