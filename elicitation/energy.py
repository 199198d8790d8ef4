"""U(D) = α·P(D) − I(D): mutual predictability from leave-one-out log-odds, minus inconsistencies.

P(D) definitions (ICMConfig.score):
- "mean-logodds" (default, the official code): mean over labeled i of ±s_i, + when y_i is True;
- "sum-logprob" (the paper's text): Σ_i log P(y_i | x_i, D∖i), with P normalized over the two label words,
  i.e. log σ(±s_i). (Normalizing keeps it comparable across backends that see only top-k tokens.)

Calibration (ICMConfig.calibrate): "center" replaces s_i by s_i − mean_j s_j over the labeled set, so a
constant labeling is no longer perfectly "mutually predictable" (contextual calibration).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class Energy:
    value: float                 # U
    predictability: float        # P(D)
    inconsistencies: int         # I(D)
    offset: float                # what calibration subtracted from every raw score (0 for "none")


def calibration_offset(raw: Mapping[int, float], calibrate: str) -> float:
    if calibrate == "center" and raw:
        return sum(raw[i] for i in sorted(raw)) / len(raw)
    return 0.0


def log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def predictability(labels: Sequence[bool | None], raw: Mapping[int, float], *, score: str, offset: float) -> float:
    signed = [(raw[i] - offset) if labels[i] else -(raw[i] - offset) for i in sorted(raw)]
    if not signed:
        return 0.0
    if score == "mean-logodds":
        return sum(signed) / len(signed)
    if score == "sum-logprob":
        return sum(log_sigmoid(s) for s in signed)
    raise ValueError(f"unknown score {score!r}")


def energy(labels: Sequence[bool | None], raw: Mapping[int, float], inconsistencies: int, *, alpha: float,
           score: str, calibrate: str) -> Energy:
    """`raw`: leave-one-out log-odds of every labeled example (index → s_i)."""
    offset = calibration_offset(raw, calibrate)
    p = predictability(labels, raw, score=score, offset=offset)
    return Energy(alpha * p - inconsistencies, p, inconsistencies, offset)
