"""The paper's comparison, read from a completed Evaluation for the page and the API: each condition's mean ±
sd over repeats with its 95% interval and n, the verdict sentence, the paired comparisons, gap recovered, the runs
left out and why, and whether labels arrived after the evaluation started (stale)."""
from __future__ import annotations

from studio.models import ElicitationRun, Evaluation, HumanLabel

# The paper's bar order; conditions of the same kind keep the evaluation's order.
BAR_ORDER = {"zero-shot": 0, "zero-shot-chat": 1, "model": 2, "random": 3, "people": 4, "crowd": 5, "icm": 6,
             "gold": 7}


def evaluation_status(evaluation: Evaluation | None) -> dict | None:
    if evaluation is None:
        return None
    progress = (evaluation.results or {}).get("progress") if evaluation.state != Evaluation.State.COMPLETED else None
    return {
        "id": evaluation.pk,
        "state": evaluation.state,
        "error": evaluation.error,
        "progress": progress,
        "created_at": evaluation.created_at.isoformat() if evaluation.created_at else None,
        "finished_at": evaluation.finished_at.isoformat() if evaluation.finished_at else None,
        "created_by": evaluation.created_by.get_username() if evaluation.created_by_id else None,
    }


def newest_evaluation_status(dataset) -> dict | None:
    return evaluation_status(Evaluation.objects.filter(dataset=dataset).order_by("-created_at", "-pk").first())


def staleness(evaluation: Evaluation) -> dict:
    """Labels that arrived on the train split after the evaluation started: people's labels, and ICM runs
    that completed since. Either would change its demonstrations."""
    since = evaluation.started_at or evaluation.created_at
    train = (evaluation.config or {}).get("train_split", "train")
    people = HumanLabel.objects.filter(example__dataset_id=evaluation.dataset_id, example__split=train,
                                       created_at__gt=since).count()
    runs = list(ElicitationRun.objects.filter(dataset_id=evaluation.dataset_id, state=ElicitationRun.State.COMPLETED,
                                              finished_at__gt=since).values_list("pk", flat=True))
    parts = []
    if people:
        parts.append(f"{people} label{'s' if people != 1 else ''} by people on “{train}”")
    if runs:
        parts.append(f"ICM run{'s' if len(runs) != 1 else ''} {', '.join(map(str, runs))} completed")
    return {"stale": bool(parts), "new_human_labels": people, "new_runs": runs,
            "note": ("Since this evaluation started: " + "; ".join(parts) + ". Start a new one to include them.")
            if parts else ""}


def comparison(evaluation: Evaluation) -> dict:
    results = evaluation.results or {}
    # in-context rows first (the paper's order), then the trained measure's rows in the same order
    conditions = sorted(results.get("conditions") or [],
                        key=lambda c: (c.get("measure") == "trained", BAR_ORDER.get(c.get("kind"), 6)))
    names = {c["key"]: c["name"] for c in conditions}
    bars = [{k: v for k, v in c.items() if k != "predictions"} for c in conditions]
    comparisons = [{**c, "a_name": names.get(c["a"], c["a"]), "b_name": names.get(c["b"], c["b"])}
                   for c in results.get("comparisons") or []]
    return {
        "evaluation": evaluation_status(evaluation),
        "config": evaluation.config or {},
        "test_split": results.get("test_split"),
        "train_split": results.get("train_split"),
        "n_test": results.get("n_test", 0),
        # gold, or an adjudication's expert answers where the test split has no gold (evaluation/reference.py)
        "reference": results.get("reference") or {"kind": "gold", "adjudication": None, "n": results.get("n_test", 0),
                                                  "note": ""},
        "verdict": results.get("verdict", ""),
        "bars": bars,
        "comparisons": comparisons,
        "gap_recovered": results.get("gap_recovered") or [],
        "repeats": results.get("repeats") or [],
        "excluded_runs": results.get("excluded_runs") or [],
        "missing": results.get("missing") or [],
        "skipped": results.get("skipped") or [],
        "demo_pool": results.get("demo_pool") or {},
        "stale": staleness(evaluation),
        "measures": results.get("measures") or ["in-context"],
        "verdict_measure": results.get("verdict_measure"),
        "verdicts": results.get("verdicts") or {},
        "verdict_in_context": (results.get("verdicts") or {}).get("in-context", ""),
        "trained": results.get("trained") or None,
    }
