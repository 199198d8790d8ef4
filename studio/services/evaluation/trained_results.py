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
            "pool": len(p.trained_pool or p.pool),
            "features": outcome.features,
            "reward_model": bool(outcome.n_pairs), "n_pairs": outcome.n_pairs,
            "seconds": outcome.seconds,
        },
        "trained_models": outcome.artifacts,
    }


def trained_models(ev, condition: str | None = None) -> dict:
    """What an evaluation trained, to download: per trained condition and repeat, the probe's weights, scaler, C,
    feature rule and model fingerprint (decision = ((x − scaler_mean) / scaler_scale) · coef + intercept on the
    features `feature_rule` computes with the model `model_fingerprint` names) — or the LoRA adapter's record
    (its folder under STUDIO_MODELS_DIR). EvaluationRefused when there is none, or no such condition."""
    from studio.services.refusals import NOT_FOUND

    from .errors import EvaluationRefused

    results = ev.results or {}
    models = results.get("trained_models") or {}
    if not models:
        raise EvaluationRefused(f"evaluation {ev.pk} trained nothing (its measures: "
                                f"{', '.join(results.get('measures') or ['in-context'])})", kind=NOT_FOUND)
    if condition is not None and condition not in models:
        raise EvaluationRefused(f"condition: evaluation {ev.pk} has no trained condition {condition[:80]!r} (it has "
                                f"{', '.join(models)})", "condition", kind=NOT_FOUND)
    trained = results.get("trained") or {}
    rows = {c["key"]: c for c in results.get("conditions") or [] if c.get("measure") == "trained"}
    out = {}
    for key, per_repeat in models.items():
        if condition is not None and key != condition:
            continue
        row = rows.get(key, {})
        out[key] = {"name": row.get("name", key), "kind": row.get("kind"), "run_id": row.get("run_id"),
                    "accuracy": row.get("mean"), "ci_low": row.get("ci_low"), "ci_high": row.get("ci_high"),
                    "n": row.get("n"), "repeats": per_repeat}
    features = trained.get("features") or {}
    return {"evaluation_id": ev.pk, "dataset": ev.dataset.slug, "trainer": trained.get("trainer"),
            "feature_rule": features.get("rule"), "model_fingerprint": features.get("model_fingerprint"),
            "model": (ev.config or {}).get("model"), "label_words": [ev.dataset.true_word, ev.dataset.false_word],
            "reward_model": bool(trained.get("reward_model")), "train_ids": trained.get("train_ids"),
            "conditions": out}
