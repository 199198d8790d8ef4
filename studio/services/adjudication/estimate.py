"""Who is right, without gold: the statistics of an adjudication (pure Python + numpy, no Django).

Two sources A and B label the same N items (binary). Where they agree they are both right or both wrong, so

    acc(A) − acc(B) = (|D| / N) · (2·p − 1)

with D the items where they disagree and p the share of D on which A is right. An expert adjudicates a sample
drawn WITHOUT replacement from D (and a smaller one from the agreements, G): the count of A-right items in D is
then hypergeometric, and its exact interval (inverting the hypergeometric tails, the finite-population version
of Clopper–Pearson) gives the difference's interval exactly; it narrows to a point once every item of D is
adjudicated. Binomial Clopper–Pearson or Wilson would ignore that the population is finite (conservative).

Each source's own accuracy is a stratified estimate: (|G|·q + |D|·p) / N for A and (|G|·q + |D|·(1 − p)) / N for
B, with q the share of the agreements that are right. Its interval combines the two strata's exact intervals,
each at level 1 − α/2 (Bonferroni), so it covers with at least the stated confidence (conservative, not
approximate). Every function takes counts; undefined values are None (JSON-safe).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

Z_95 = 1.959963984540054
ALPHA = 0.05


class _LogFactorials:
    """log(k!) for k = 0..M, grown on demand (one cumulative sum)."""

    def __init__(self):
        self.table = np.zeros(1)

    def __call__(self, m: int) -> np.ndarray:
        if m >= len(self.table):
            self.table = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, m + 1, dtype=float)))])
        return self.table


_LF = _LogFactorials()


def _log_comb(lf: np.ndarray, n, k):
    return lf[n] - lf[k] - lf[n - k]


def hypergeom_cdf(x: int, population: int, successes: int, draws: int) -> float:
    """P(X ≤ x) for X the successes in `draws` drawn without replacement from `population` items of which
    `successes` are successes."""
    M, K, n = population, successes, draws
    lo, hi = max(0, n - (M - K)), min(x, K, n)
    if hi < lo:
        return 0.0 if x < lo else 1.0
    lf = _LF(M)
    j = np.arange(lo, hi + 1)
    logs = _log_comb(lf, K, j) + _log_comb(lf, M - K, n - j) - _log_comb(lf, M, n)
    return float(min(1.0, np.exp(logs).sum()))


def hypergeom_interval(x: int, n: int, population: int, alpha: float = ALPHA) -> tuple[int, int]:
    """Exact (1 − alpha) interval for the number of successes K in a finite population, from x successes in n
    draws without replacement: the Ks whose tails P(X ≥ x | K) and P(X ≤ x | K) both exceed alpha/2."""
    M = population
    if not (0 <= x <= n <= M):
        raise ValueError(f"need 0 <= x <= n <= population; got x={x}, n={n}, population={M}")
    # P(X >= x | K) grows with K: the lower bound is the smallest K where it exceeds alpha/2.
    lo_k, hi_k = x, M - (n - x)
    a, b = lo_k, hi_k
    while a < b:
        mid = (a + b) // 2
        if 1.0 - hypergeom_cdf(x - 1, M, mid, n) > alpha / 2:
            b = mid
        else:
            a = mid + 1
    lower = a
    # P(X <= x | K) falls with K: the upper bound is the largest K where it exceeds alpha/2.
    a, b = lo_k, hi_k
    while a < b:
        mid = (a + b + 1) // 2
        if hypergeom_cdf(x, M, mid, n) > alpha / 2:
            a = mid
        else:
            b = mid - 1
    return lower, a


@dataclass(frozen=True)
class Counts:
    """An adjudication's counts. n_items: items both sources label (N); n_disagree: |D|; a_right: adjudicated
    items of D where the expert sided with A (the rest sided with B); d_adjudicated: adjudicated items of D;
    g_right: adjudicated agreements where the shared label was right; g_adjudicated: adjudicated agreements."""

    n_items: int
    n_disagree: int
    a_right: int = 0
    d_adjudicated: int = 0
    g_right: int = 0
    g_adjudicated: int = 0

    @property
    def n_agree(self) -> int:
        return self.n_items - self.n_disagree

    def check(self) -> None:
        if not (0 <= self.n_disagree <= self.n_items):
            raise ValueError(f"need 0 <= n_disagree <= n_items; got {self.n_disagree}, {self.n_items}")
        if not (0 <= self.a_right <= self.d_adjudicated <= self.n_disagree):
            raise ValueError("need 0 <= a_right <= d_adjudicated <= n_disagree")
        if not (0 <= self.g_right <= self.g_adjudicated <= self.n_agree):
            raise ValueError("need 0 <= g_right <= g_adjudicated <= n_items - n_disagree")


def difference(c: Counts, alpha: float = ALPHA) -> dict:
    """acc(A) − acc(B) with its exact interval: {"estimate", "ci_low", "ci_high", "p", "p_low", "p_high"}
    (None without adjudicated disagreements; exactly 0 when the sources never disagree)."""
    c.check()
    N, M, n, x = c.n_items, c.n_disagree, c.d_adjudicated, c.a_right
    if M == 0:
        return {"estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p": None, "p_low": None, "p_high": None}
    if n == 0:
        return {"estimate": None, "ci_low": -M / N, "ci_high": M / N, "p": None, "p_low": 0.0, "p_high": 1.0}
    k_lo, k_hi = hypergeom_interval(x, n, M, alpha)
    scale = M / N
    p = x / n
    # bounds as one division each, (2K − M) / N: the float nearest the exact rational, so a gold difference
    # computed as (right_a − right_b) / N on the boundary compares equal instead of a last bit off
    return {"estimate": scale * (2 * p - 1), "ci_low": (2 * k_lo - M) / N, "ci_high": (2 * k_hi - M) / N,
            "p": p, "p_low": k_lo / M, "p_high": k_hi / M}


def _stratum(x: int, n: int, size: int, alpha: float) -> tuple[float | None, int, int]:
    """(share estimate or None, K low, K high) for one stratum."""
    if size == 0:
        return 0.0, 0, 0
    if n == 0:
        return None, 0, size
    lo, hi = hypergeom_interval(x, n, size, alpha)
    return x / n, lo, hi


def accuracies(c: Counts, alpha: float = ALPHA) -> dict:
    """Each source's accuracy, stratified over D and the agreements G, with a conservative (Bonferroni over the
    two strata) exact interval: {"a": {...}, "b": {...}}, each {"estimate", "ci_low", "ci_high"}. The estimate
    is None while a stratum with items has no adjudications (its share is unknown; the interval then spans
    every value that share could take)."""
    c.check()
    N, M, G = c.n_items, c.n_disagree, c.n_agree
    p, d_lo, d_hi = _stratum(c.a_right, c.d_adjudicated, M, alpha / 2)
    q, g_lo, g_hi = _stratum(c.g_right, c.g_adjudicated, G, alpha / 2)
    if N == 0:
        return {"a": {"estimate": None, "ci_low": None, "ci_high": None},
                "b": {"estimate": None, "ci_low": None, "ci_high": None}}

    def est(share_d):
        return None if (share_d is None or q is None) else (G * q + M * share_d) / N

    a = {"estimate": est(p), "ci_low": (g_lo + d_lo) / N, "ci_high": (g_hi + d_hi) / N}
    b = {"estimate": est(None if p is None else 1 - p), "ci_low": (g_lo + M - d_hi) / N,
         "ci_high": (g_hi + M - d_lo) / N}
    return {"a": a, "b": b}


def more_for_half_width(c: Counts, half_width: float, share_disagreements: float = 0.8, z: float = Z_95) -> dict:
    """About how many more adjudications bring the difference's interval to ±half_width: {"more_disagreements",
    "more_total" (at the sample's share of disagreements)}. A normal approximation with the
    finite-population correction, planning with p ≈ (x + 1) / (n + 2); the exact interval is a little wider, so
    this is an estimate ("about"). Adjudicating all of D always reaches it (the interval is then a point)."""
    if not half_width > 0:
        raise ValueError(f"half_width must be > 0; got {half_width}")
    c.check()
    N, M, n = c.n_items, c.n_disagree, c.d_adjudicated
    if M == 0:
        return {"more_disagreements": 0, "more_total": 0}
    p = (c.a_right + 1) / (n + 2)
    pq = p * (1 - p)
    scale = 2 * M / N
    r = (half_width / (scale * z)) ** 2
    needed = M if M == 1 else math.ceil(pq * M / (r * (M - 1) + pq))
    needed = min(M, needed)
    more_d = max(0, needed - n)
    share = min(1.0, max(share_disagreements, 1e-9))
    return {"more_disagreements": more_d, "more_total": math.ceil(more_d / share) if more_d else 0}


def summary(c: Counts, *, half_width: float = 0.05, share_disagreements: float = 0.8, alpha: float = ALPHA) -> dict:
    """Everything the dashboard and the API show about one adjudication's estimate."""
    return {"counts": {**asdict(c), "n_agree": c.n_agree}, "difference": difference(c, alpha),
            "accuracy": accuracies(c, alpha), "confidence": 1 - alpha,
            "plan": {"half_width": half_width, **more_for_half_width(c, half_width, share_disagreements)}}
