"""The `probe` trainer: standardized features → L2 logistic regression (scikit-learn), its strength C chosen by
stratified k-fold cross-validation on the labels it is given — the source's own labels, never gold (there is no
gold argument; a gold source is simply a source whose labels are gold).

A label set of one class trains nothing: the probe is a constant predictor of that class, flagged `degenerate`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import InputError
from .features import FEATURE_RULE

DEFAULT_CS = (0.001, 0.01, 0.1, 1.0, 10.0)
DEFAULT_FOLDS = 5
MAX_ITER = 2000


@dataclass
class Probe:
    coef: np.ndarray            # [d], in standardized units
    intercept: float
    mean: np.ndarray            # scaler
    scale: np.ndarray
    C: float | None
    n_train: int
    label_counts: dict
    cv_accuracy: dict = field(default_factory=dict)   # C → mean CV accuracy on the source's own labels
    cv: str = "stratified-kfold"                        # or "skipped" (too few labels per class), "none"
    degenerate: bool = False    # one class only: a constant predictor
    seed: int = 0
    feature_rule: str = FEATURE_RULE
    model_fingerprint: str | None = None

    def decision(self, X) -> np.ndarray:
        """Log-odds of True for each row of X."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.coef.shape[0]:
            raise InputError(f"probe: expected features of shape [n, {self.coef.shape[0]}], got {list(X.shape)}")
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def predict(self, X) -> np.ndarray:
        return self.decision(X) > 0

    def to_dict(self) -> dict:
        """JSON-able: everything needed to apply the probe to features computed by `feature_rule` with the model
        named by `model_fingerprint`: decision = ((x − mean) / scale) · coef + intercept."""
        return {
            "kind": "logistic-probe", "feature_rule": self.feature_rule, "model_fingerprint": self.model_fingerprint,
            "coef": [float(v) for v in self.coef], "intercept": float(self.intercept),
            "scaler_mean": [float(v) for v in self.mean], "scaler_scale": [float(v) for v in self.scale],
            "C": self.C, "n_train": self.n_train, "label_counts": dict(self.label_counts),
            "cv_accuracy": {str(c): a for c, a in self.cv_accuracy.items()}, "cv": self.cv,
            "degenerate": self.degenerate, "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Probe":
        try:
            coef = np.asarray(d["coef"], dtype=np.float64)
            mean = np.asarray(d["scaler_mean"], dtype=np.float64)
            scale = np.asarray(d["scaler_scale"], dtype=np.float64)
            if not (coef.ndim == mean.ndim == scale.ndim == 1 and coef.shape == mean.shape == scale.shape):
                raise ValueError("coef, scaler_mean and scaler_scale must be lists of one length")
            return cls(coef=coef, intercept=float(d["intercept"]), mean=mean, scale=scale,
                       C=None if d.get("C") is None else float(d["C"]), n_train=int(d.get("n_train", 0)),
                       label_counts=dict(d.get("label_counts", {})),
                       cv_accuracy={float(c): a for c, a in d.get("cv_accuracy", {}).items()},
                       cv=str(d.get("cv", "stratified-kfold")), degenerate=bool(d.get("degenerate", False)),
                       seed=int(d.get("seed", 0)), feature_rule=str(d.get("feature_rule", FEATURE_RULE)),
                       model_fingerprint=d.get("model_fingerprint"))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a probe: {exc}") from None


def check_cs(cs) -> tuple[float, ...]:
    try:
        values = tuple(float(c) for c in cs)
    except (TypeError, ValueError):
        raise InputError(f"cs must be a list of positive numbers, got {cs!r}") from None
    if not values or any(not math.isfinite(c) or c <= 0 for c in values):
        raise InputError(f"cs must be a non-empty list of positive numbers, got {list(cs)!r}")
    return tuple(sorted(set(values)))


def fit_probe(X, y: Sequence[bool], *, seed: int = 0, cs=DEFAULT_CS, folds: int = DEFAULT_FOLDS,
              model_fingerprint: str | None = None, feature_rule: str = FEATURE_RULE) -> Probe:
    """Fit on features X [n, d] and the source's labels y. C: the best mean accuracy over stratified folds of
    (X, y) themselves (ties → the smaller C, the stronger regularization); the final model is refit on all
    of (X, y) with that C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    cs = check_cs(cs)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise InputError(f"folds must be an integer of at least 2, got {folds!r}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InputError(f"features must be a matrix [n, d], got shape {list(X.shape)}")
    if any(not isinstance(v, (bool, np.bool_)) for v in y):
        raise InputError("labels must be true/false (an unlabeled item has no place in training)")
    y = np.asarray(list(y), dtype=bool)
    if len(y) != X.shape[0]:
        raise InputError(f"{X.shape[0]} feature rows but {len(y)} labels")
    if len(y) == 0:
        raise InputError("no labeled training items")
    counts = {"true": int(y.sum()), "false": int((~y).sum())}
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    common = dict(n_train=len(y), label_counts=counts, seed=seed, feature_rule=feature_rule,
                  model_fingerprint=model_fingerprint)
    if counts["true"] == 0 or counts["false"] == 0:
        n = len(y)
        constant = math.log((n + 0.5) / 0.5) * (1 if counts["true"] else -1)
        return Probe(coef=np.zeros(X.shape[1]), intercept=constant, mean=mean, scale=scale, C=None, cv="none",
                     degenerate=True, **common)
    Z = (X - mean) / scale
    k = min(folds, counts["true"], counts["false"])
    cv_accuracy: dict[float, float] = {}
    if k >= 2:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = list(splitter.split(Z, y))
        for c in cs:
            right = 0
            for train, held in splits:
                # the scaler is refit inside each fold so the held-out rows do not shape it
                m, s = Z[train].mean(axis=0), Z[train].std(axis=0)
                s[s == 0] = 1.0
                model = LogisticRegression(C=c, max_iter=MAX_ITER)
                model.fit((Z[train] - m) / s, y[train])
                right += int((model.predict((Z[held] - m) / s) == y[held]).sum())
            cv_accuracy[c] = right / len(y)
        best = max(cs, key=lambda c: (round(cv_accuracy[c], 12), -c))
        how = "stratified-kfold"
    else:
        best = cs[len(cs) // 2]
        how = "skipped"
    model = LogisticRegression(C=best, max_iter=MAX_ITER)
    model.fit(Z, y)
    sign = 1.0 if bool(model.classes_[1]) else -1.0
    return Probe(coef=sign * model.coef_[0].astype(np.float64), intercept=sign * float(model.intercept_[0]),
                 mean=mean, scale=scale, C=best, cv_accuracy=cv_accuracy, cv=how, **common)
