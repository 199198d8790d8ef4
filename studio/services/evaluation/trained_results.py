"""The trained measure's part of an evaluation's results: one row per trained condition (beside the in-context
ones, `measure: "trained"`), what was trained per repeat, and the trained models to export."""
from __future__ import annotations

from .planning import Plan
from .trained import TrainedOutcome


def trained_rows(outcome: TrainedOutcome, consistency: dict, config: dict) -> list[dict]:
    trainer = config.get("trainer", "probe")
    return [{
        "key": c.key, "kind": c.kind, "name": c.name, "run_id": c.run_id, "model": c.model,
        "other_model": any(m.startswith("model ") for m in c.marks), "marks": c.marks, "n_demos": 0,
        "consistency": consistency.get(c.source_key), "predictions": outcome.predictions[c.key],
        "measure": "trained", "trainer": trainer, "source": c.source_key, "reward_model": bool(outcome.n_pairs),
        "n_train": [f["n_train"] for f in outcome.fits[c.key]], "fits": outcome.fits[c.key],
    } for c in outcome.conditions]


def trained_summary(outcome: TrainedOutcome, p: Plan, config: dict) -> dict:
    """results["trained"] (how the trained measure ran) and results["trained_models"] (condition key -> per
    repeat, the probe's weights, scaler, C, feature rule and model fingerprint — or the adapter's record)."""
    return {
        "trained": {
            "trainer": config.get("trainer", "probe"),
            "train_ids": [r.train_ids for r in p.repeats],
            "pool": len(p.pool),
            "features": outcome.features,
            "reward_model": bool(outcome.n_pairs), "n_pairs": outcome.n_pairs,
            "seconds": outcome.seconds,
        },
        "trained_models": outcome.artifacts,
    }
