"""The paper's comparison, read from a completed Evaluation: test accuracy of each prompting condition
(zero-shot, many-shot with random / gold / people's / ICM labels) and gap recovered with bootstrap
intervals. Predictions come from the evaluation's results; gold is read fresh from the database."""
from __future__ import annotations

from studio.models import Evaluation, GoldLabel
from studio.services import metrics

# The paper's bar order; anything else (several ICM runs) keeps the evaluation's order after these.
BAR_ORDER = {"zero-shot": 0, "random": 1, "people": 2, "gold": 4}
GAP_BOOTSTRAP = 2000


def evaluation_status(evaluation: Evaluation | None) -> dict | None:
    if evaluation is None:
        return None
    return {
        "id": evaluation.pk,
        "state": evaluation.state,
        "error": evaluation.error,
        "created_at": evaluation.created_at.isoformat() if evaluation.created_at else None,
        "finished_at": evaluation.finished_at.isoformat() if evaluation.finished_at else None,
        "created_by": evaluation.created_by.get_username() if evaluation.created_by_id else None,
    }


def _correctness(preds: list, gold: list) -> list[bool]:
    return [p is not None and p == g for p, g in zip(preds, gold)]


def comparison(evaluation: Evaluation) -> dict:
    """{"evaluation", "config", "test_split", "n_test", "bars": [...], "gap_recovered": [...]}"""
    results = evaluation.results or {}
    ids = results.get("example_ids") or []
    gold_by_id = dict(GoldLabel.objects.filter(example_id__in=ids).values_list("example_id", "label"))
    keep = [i for i, ex_id in enumerate(ids) if ex_id in gold_by_id]  # test examples with gold
    gold = [gold_by_id[ids[i]] for i in keep]

    entries = sorted(results.get("sources", []), key=lambda e: BAR_ORDER.get(e.get("kind"), 3))
    bars, correct_by_key = [], {}
    for e in entries:
        preds = e.get("predictions") or []
        preds = [preds[i] if i < len(preds) else None for i in keep]
        correct = _correctness(preds, gold)
        correct_by_key[e["key"]] = correct
        acc = metrics.accuracy_with_ci(sum(correct), len(correct))
        bars.append({"key": e["key"], "kind": e.get("kind"), "name": e.get("name", e["key"]), "run_id": e.get("run_id"),
                     "n_demos": e.get("n_demos", 0), "demo_true": e.get("demo_true"), **acc})

    by_kind = {b["kind"]: b["key"] for b in bars}
    gaps = []
    seed = int((evaluation.config or {}).get("seed", 0))
    for b in bars:
        if b["kind"] != "icm":
            continue
        for weak_kind, weak_name in (("people", "people"), ("zero-shot", "zero-shot")):
            label = f"({b['name']} − {weak_name}) / (gold − {weak_name})"
            if weak_kind not in by_kind or "gold" not in by_kind:
                missing = weak_kind if weak_kind not in by_kind else "gold"
                gaps.append({"key": f"{b['key']}|{weak_kind}", "label": label, "run_id": b["run_id"], "against": weak_kind,
                             "value": None, "meaningful": False, "ci_low": None, "ci_high": None,
                             "note": f"the evaluation has no {missing} condition"})
                continue
            r = metrics.bootstrap_gap_recovered(correct_by_key[b["key"]], correct_by_key[by_kind[weak_kind]],
                                                correct_by_key[by_kind["gold"]], n_boot=GAP_BOOTSTRAP, seed=seed)
            note = "" if r["meaningful"] else (
                f"not meaningful: gold − {weak_name} is {100 * r['gap']:.1f} points (under {100 * metrics.MIN_GAP:.0f})"
                if r["gap"] is not None else "not meaningful: no test examples with gold")
            gaps.append({"key": f"{b['key']}|{weak_kind}", "label": label, "run_id": b["run_id"], "against": weak_kind,
                         "note": note, **r})
    return {
        "evaluation": evaluation_status(evaluation),
        "config": evaluation.config or {},
        "test_split": results.get("test_split"),
        "train_split": results.get("train_split"),
        "n_test": len(ids),
        "n_test_with_gold": len(keep),
        "bars": bars,
        "gap_recovered": gaps,
    }
