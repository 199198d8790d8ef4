"""train_and_predict: the one call the studio makes per trained condition — train on a source's labels of the
train items, return log-odds for the test items (and what was trained, for export)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError
from .features import DEFAULT_LABEL_WORDS, FEATURE_RULE, FeatureStore, compute_features
from .finetune import check_finetune_options, finetune, score_with_adapter
from .probe import DEFAULT_CS, DEFAULT_FOLDS, check_cs, fit_probe

TRAINERS = ("probe", "finetune")
DEFAULTS = {
    "probe": {"cs": DEFAULT_CS, "folds": DEFAULT_FOLDS, "batch_size": 8},
    "finetune": {"steps": 32, "lr": 1e-3, "rank": 8, "batch_size": 4},
}


@dataclass
class TrainedPrediction:
    scores: np.ndarray          # log-odds of True per test prompt
    artifact: dict              # probe.to_dict() or adapter.to_dict(): JSON-able, what an export carries
    summary: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[bool]:
        return [bool(s > 0) for s in self.scores]


def check_trainer_options(trainer: str, options: dict | None) -> dict:
    """The trainer's options with defaults filled in; an unknown trainer, unknown option or bad value is refused
    by name."""
    if trainer not in TRAINERS:
        raise InputError(f"trainer must be one of {', '.join(TRAINERS)}, got {trainer!r}")
    options = dict(options or {})
    unknown = sorted(set(options) - set(DEFAULTS[trainer]))
    if unknown:
        raise InputError(f"unknown option(s) for trainer {trainer!r}: {', '.join(unknown)} "
                         f"(known: {', '.join(DEFAULTS[trainer])})")
    merged = {**DEFAULTS[trainer], **options}
    if trainer == "probe":
        merged["cs"] = check_cs(merged["cs"])
        for name, least in (("folds", 2), ("batch_size", 1)):
            v = merged[name]
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise InputError(f"{name} must be an integer of at least {least}, got {v!r}")
    else:
        check_finetune_options(merged["steps"], merged["lr"], merged["rank"], merged["batch_size"])
    return merged


def train_and_predict(trainer: str, backend, train_prompts: Sequence[str], train_labels: Sequence[bool],
                      test_prompts: Sequence[str], *, seed: int = 0, options: dict | None = None,
                      store: FeatureStore | None = None, out_dir=None,
                      label_words: Sequence[str] = DEFAULT_LABEL_WORDS,
                      progress: Callable[[int, int], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> TrainedPrediction:
    """Train `trainer` on (train_prompts, train_labels) — the source's labels, whatever the source — and score
    test_prompts. Prompts are the examples' prompts as stored. probe: features through `store` (computed once
    per model and prompt), C by CV on train_labels. finetune: a LoRA adapter saved at out_dir (required)."""
    opts = check_trainer_options(trainer, options)
    if len(train_prompts) != len(train_labels):
        raise InputError(f"{len(train_prompts)} train prompts but {len(train_labels)} labels")
    if not test_prompts:
        raise InputError("no test items to predict")
    started = time.monotonic()
    label_words = tuple(label_words)
    if trainer == "probe":
        hits0, misses0 = (store.hits, store.misses) if store is not None else (0, 0)
        X = compute_features(backend, list(train_prompts) + list(test_prompts), store, label_words=label_words,
                             batch_size=opts["batch_size"], progress=progress, should_stop=should_stop)
        n = len(train_prompts)
        probe = fit_probe(X[:n], list(train_labels), seed=seed, cs=opts["cs"], folds=opts["folds"],
                          model_fingerprint=getattr(backend, "fingerprint", None), feature_rule=FEATURE_RULE)
        scores = probe.decision(X[n:])
        summary = {"C": probe.C, "cv": probe.cv, "cv_accuracy": {str(c): a for c, a in probe.cv_accuracy.items()},
                   "degenerate": probe.degenerate, "feature_rule": FEATURE_RULE,
                   "feature_hits": (store.hits - hits0) if store is not None else 0,
                   "feature_misses": (store.misses - misses0) if store is not None else len(X)}
        artifact = probe.to_dict()
        n_counts = probe.label_counts
    else:
        if out_dir is None:
            raise InputError("the finetune trainer needs out_dir (where its adapter is saved)")
        adapter = finetune(backend, train_prompts, train_labels, out_dir=Path(out_dir), label_words=label_words,
                           steps=opts["steps"], lr=opts["lr"], rank=opts["rank"], seed=seed,
                           batch_size=opts["batch_size"], progress=progress, should_stop=should_stop)
        scores = score_with_adapter(backend, adapter.path, test_prompts, label_words=label_words)
        summary = {"steps": adapter.steps, "lr": adapter.lr, "rank": adapter.rank,
                   "final_loss": adapter.losses[-1] if adapter.losses else None, "degenerate": adapter.degenerate,
                   "adapter_path": adapter.path, "train_tokens": adapter.tokens}
        artifact = adapter.to_dict()
        n_counts = adapter.label_counts
    summary.update({"trainer": trainer, "seed": seed, "n_train": len(train_labels), "n_test": len(test_prompts),
                    "label_counts": n_counts, "seconds": round(time.monotonic() - started, 3)})
    return TrainedPrediction(np.asarray(scores, dtype=np.float64), artifact, summary)
