"""The review numbers, as plain functions (no Django): accuracy with Wilson intervals, confusion matrices,
Cohen's and Fleiss' kappa, Krippendorff's alpha (nominal), gap recovered and its bootstrap interval.

Functions that the dashboard feeds from database aggregates take counts (a 2x2 table, per-unit category
counts with a multiplicity) rather than rows, so the database does the counting. Undefined values (no
data, a constant rater) come back as None, never as NaN, so results stay JSON-safe.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

Z_95 = 1.959963984540054  # two-sided 95% normal quantile


# --- accuracy --------------------------------------------------------------------------------------------

def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float | None, float | None]:
    """Wilson score interval for a binomial proportion; (None, None) when n == 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return None, None
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy_with_ci(correct: int, n: int, z: float = Z_95) -> dict:
    """{"correct", "n", "accuracy", "ci_low", "ci_high"}; accuracy and bounds are None when n == 0."""
    lo, hi = wilson_interval(correct, n, z)
    return {"correct": correct, "n": n, "accuracy": (correct / n) if n else None, "ci_low": lo, "ci_high": hi}


# --- confusion matrices and Cohen's kappa ----------------------------------------------------------------

def confusion_matrix(y_true: Sequence[bool], y_pred: Sequence[bool]) -> list[list[int]]:
    """2x2 matrix in scikit-learn's layout for labels [False, True]: rows = truth, columns = prediction,
    i.e. [[tn, fp], [fn, tp]]."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    m = [[0, 0], [0, 0]]
    for t, p in zip(y_true, y_pred):
        m[int(bool(t))][int(bool(p))] += 1
    return m


def confusion_from_counts(tp: int, fp: int, fn: int, tn: int) -> dict:
    """The dashboard's confusion record: named cells plus the scikit-learn layout."""
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "matrix": [[tn, fp], [fn, tp]]}


def cohen_kappa_from_table(table: Sequence[Sequence[int]]) -> float | None:
    """Cohen's kappa from a k x k contingency table (rows: rater A's category, columns: rater B's).
    None when there are no items or chance agreement is 1 (both raters constant on the same category)."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"need a square table, got shape {t.shape}")
    n = t.sum()
    if n == 0:
        return None
    po = np.trace(t) / n
    pe = float((t.sum(axis=1) * t.sum(axis=0)).sum() / (n * n))
    if math.isclose(pe, 1.0):
        return None
    return float((po - pe) / (1 - pe))


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa between two binary raters over the same items."""
    return cohen_kappa_from_table(confusion_matrix(a, b))


# --- agreement among many raters -------------------------------------------------------------------------

def _units_array(units: Iterable[Sequence[int]], weights: Iterable[int] | None) -> tuple[np.ndarray, np.ndarray]:
    counts = np.asarray([list(u) for u in units], dtype=float)
    if counts.size == 0:
        return np.zeros((0, 0)), np.zeros(0)
    if counts.ndim != 2:
        raise ValueError("units must be per-unit category counts of equal length")
    if (counts < 0).any():
        raise ValueError("category counts must be non-negative")
    w = np.ones(len(counts)) if weights is None else np.asarray(list(weights), dtype=float)
    if len(w) != len(counts):
        raise ValueError(f"{len(counts)} units but {len(w)} weights")
    keep = counts.sum(axis=1) >= 2  # a unit rated once carries no agreement information
    return counts[keep], w[keep]


def fleiss_kappa(units: Iterable[Sequence[int]], weights: Iterable[int] | None = None) -> float | None:
    """Fleiss' kappa. `units`: per-unit counts of raters in each category, e.g. [n_false, n_true];
    `weights`: how many units have exactly that row (lets the database send a histogram).

    Units may have different numbers of raters: P_i = Σ_j n_ij(n_ij − 1) / (n_i(n_i − 1)), P̄ its mean
    over units, p_j the share of all ratings in category j, P_e = Σ_j p_j². With a constant number of
    raters this is Fleiss (1971) exactly. Units with fewer than two ratings are left out."""
    counts, w = _units_array(units, weights)
    if len(counts) == 0 or w.sum() == 0:
        return None
    n_i = counts.sum(axis=1)
    p_i = (counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))
    p_bar = float((p_i * w).sum() / w.sum())
    p_j = (counts * w[:, None]).sum(axis=0) / (n_i * w).sum()
    p_e = float((p_j**2).sum())
    if math.isclose(p_e, 1.0):
        return None
    return float((p_bar - p_e) / (1 - p_e))


def krippendorff_alpha_nominal(units: Iterable[Sequence[int]], weights: Iterable[int] | None = None) -> float | None:
    """Krippendorff's alpha for nominal data from per-unit value counts (missing ratings simply absent).

    Coincidence matrix o_ck = Σ_u n_uc(n_uk − [c = k]) / (m_u − 1) over units with m_u ≥ 2 values;
    α = 1 − (n − 1) Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k  (Krippendorff 2011, "Computing Krippendorff's alpha")."""
    counts, w = _units_array(units, weights)
    if len(counts) == 0 or w.sum() == 0:
        return None
    m_u = counts.sum(axis=1)
    k = counts.shape[1]
    o = np.zeros((k, k))
    for c in range(k):
        for d in range(k):
            same = 1.0 if c == d else 0.0
            o[c, d] = (w * counts[:, c] * (counts[:, d] - same) / (m_u - 1)).sum()
    n_c = o.sum(axis=1)
    n = n_c.sum()
    off = ~np.eye(k, dtype=bool)
    expected = (np.outer(n_c, n_c)[off]).sum()
    if expected == 0:
        return None
    return float(1 - (n - 1) * o[off].sum() / expected)


# --- gap recovered ---------------------------------------------------------------------------------------

MIN_GAP = 0.05  # below 5 accuracy points the ratio is mostly noise


def gap_recovered(strong: float, weak: float, ceiling: float, min_gap: float = MIN_GAP) -> dict:
    """Performance gap recovered (Burns et al. 2023): (strong − weak) / (ceiling − weak).
    `meaningful` is False (and value None) when ceiling − weak < min_gap."""
    gap = float(ceiling - weak)
    meaningful = bool(gap >= min_gap)
    return {"value": float((strong - weak) / gap) if meaningful else None, "gap": gap, "meaningful": meaningful}


def bootstrap_gap_recovered(
    strong_correct: Sequence[bool],
    weak_correct: Sequence[bool],
    ceiling_correct: Sequence[bool],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    min_gap: float = MIN_GAP,
) -> dict:
    """Gap recovered on per-example correctness of three systems over the same test examples, with a
    paired percentile bootstrap (the same resampled examples for all three). Resamples whose gap is
    under min_gap are counted as undefined. When the observed gap is under min_gap the result says
    "not meaningful" and carries no interval."""
    s, w, c = (np.asarray(x, dtype=float) for x in (strong_correct, weak_correct, ceiling_correct))
    if not (len(s) == len(w) == len(c)):
        raise ValueError(f"correctness vectors differ in length: {len(s)}, {len(w)}, {len(c)}")
    if len(s) == 0:
        return {"value": None, "gap": None, "meaningful": False, "ci_low": None, "ci_high": None,
                "strong": None, "weak": None, "ceiling": None, "n": 0, "n_boot": 0, "undefined": 0}
    point = gap_recovered(s.mean(), w.mean(), c.mean(), min_gap)
    out = {**point, "strong": float(s.mean()), "weak": float(w.mean()), "ceiling": float(c.mean()), "n": len(s)}
    if not point["meaningful"]:
        return {**out, "ci_low": None, "ci_high": None, "n_boot": 0, "undefined": 0}

    # vectorized paired bootstrap: resample rows of indices, compare the three means per resample
    rng = np.random.default_rng(seed)
    n = len(s)
    values = []
    for start in range(0, n_boot, 500):  # chunks bound the index matrix's memory
        idx = rng.integers(0, n, size=(min(500, n_boot - start), n))
        sm, wm, cm = s[idx].mean(axis=1), w[idx].mean(axis=1), c[idx].mean(axis=1)
        gap = cm - wm
        ok = gap >= min_gap
        values.append(np.where(ok, (sm - wm) / np.where(ok, gap, 1.0), np.nan))
    v = np.concatenate(values)
    defined = v[~np.isnan(v)]
    if len(defined) == 0:
        return {**out, "ci_low": None, "ci_high": None, "n_boot": n_boot, "undefined": int(n_boot)}
    a = (1 - level) / 2
    lo, hi = np.quantile(defined, [a, 1 - a])
    return {**out, "ci_low": float(lo), "ci_high": float(hi), "n_boot": n_boot, "undefined": int(n_boot - len(defined))}
