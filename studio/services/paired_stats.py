"""Statistics of a paired comparison (no Django): conditions scored on the same test items, each item's
correctness averaged over repeats (a value in [0, 1]).

- mean ± sd over repeats, and a 95% percentile-bootstrap interval over test items for the repeat-averaged accuracy;
- the difference of two conditions with a paired bootstrap interval (the same resampled items for both);
- McNemar's exact test (a two-sided binomial test on the discordant items) on each item's majority-over-repeats
  correctness: an item counts as right for a condition when it was right in more than half of the repeats.
Undefined values come back as None, never NaN, so results stay JSON-safe."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

N_BOOT = 2000
LEVEL = 0.95


def mean_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (ddof 1; None for fewer than two values)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return None, None
    return float(v.mean()), (float(v.std(ddof=1)) if v.size > 1 else None)


def _indices(n: int, n_boot: int, seed: int):
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, 500):  # chunks bound the index matrix's memory
        yield rng.integers(0, n, size=(min(500, n_boot - start), n))


def bootstrap_mean_ci(per_item: Sequence[float], *, n_boot: int = N_BOOT, seed: int = 0,
                      level: float = LEVEL) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of the mean over items."""
    x = np.asarray(per_item, dtype=float)
    if x.size == 0:
        return None, None
    means = np.concatenate([x[idx].mean(axis=1) for idx in _indices(x.size, n_boot, seed)])
    a = (1 - level) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return float(lo), float(hi)


def paired_bootstrap_difference(a: Sequence[float], b: Sequence[float], *, n_boot: int = N_BOOT, seed: int = 0,
                                level: float = LEVEL) -> dict:
    """mean(a) − mean(b) over the same items, with a percentile interval from resampling items (paired)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired samples differ in length: {x.size} and {y.size}")
    if x.size == 0:
        return {"diff": None, "ci_low": None, "ci_high": None, "n": 0}
    d = x - y
    diffs = np.concatenate([d[idx].mean(axis=1) for idx in _indices(d.size, n_boot, seed)])
    alpha = (1 - level) / 2
    lo, hi = np.quantile(diffs, [alpha, 1 - alpha])
    return {"diff": float(d.mean()), "ci_low": float(lo), "ci_high": float(hi), "n": int(d.size)}


def _binom_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), exactly (integers, then one division)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def mcnemar_exact(a_right: Sequence[bool], b_right: Sequence[bool]) -> dict:
    """McNemar's exact test: b01 = items only `a` got right, b10 = only `b` got right; the two-sided p of a
    binomial(b01 + b10, 1/2) test (1.0 when no item is discordant), as statsmodels' mcnemar(exact=True)."""
    if len(a_right) != len(b_right):
        raise ValueError(f"paired samples differ in length: {len(a_right)} and {len(b_right)}")
    only_a = sum(1 for x, y in zip(a_right, b_right) if x and not y)
    only_b = sum(1 for x, y in zip(a_right, b_right) if y and not x)
    n = only_a + only_b
    p = 1.0 if n == 0 else min(1.0, 2 * _binom_cdf(min(only_a, only_b), n))
    return {"only_a": only_a, "only_b": only_b, "p": p}


def majority_right(per_item: Sequence[float]) -> list[bool]:
    """Each item right in more than half of the repeats."""
    return [float(x) > 0.5 for x in per_item]
