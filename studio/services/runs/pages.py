"""What the run pages show (list, live page, results table), gathered here so the views stay thin."""
from __future__ import annotations

from django.db.models import Count

from studio.models import ElicitationRun, ElicitedLabel
from studio.services import access, policies

from . import results as label_results

RESULTS_SHOWN = 500


def visible_runs(user):
    datasets = access.reviewable_datasets(user)
    return ElicitationRun.objects.filter(dataset__in=datasets).select_related("dataset", "created_by")


def run_list(user, dataset_id: str | None) -> dict:
    qs = visible_runs(user)
    dataset = None
    if dataset_id and str(dataset_id).isdigit() and int(dataset_id) < 2**63:  # a bigint id, else no filter
        qs = qs.filter(dataset_id=int(dataset_id))
        dataset = access.reviewable_datasets(user).filter(pk=int(dataset_id)).first()
    qs = qs.annotate(batch_count=Count("batches"))
    return {"runs": qs.order_by("-created_at")[:200], "dataset": dataset, "can_start": policies.runs.can_start(user, dataset)}


def _example_text(fields: dict, prompt: str) -> str:
    if fields:
        return " · ".join(str(v) for v in fields.values())
    return prompt


def score_agreement(run: ElicitationRun) -> dict:
    """How many of the run's scored labels disagree with the sign of their score (confidence < 0), of how many,
    and why that can happen (studio.services.runs.results defines score and confidence)."""
    labels = ElicitedLabel.objects.filter(run=run, label__isnull=False, score__isnull=False)
    counts = labels.aggregate(n=Count("pk"), disagree=Count("pk", filter=label_results.DISAGREES))
    why = label_results.DISAGREEMENT_WHY
    if (run.config or {}).get("calibrate") == "none":
        why += (" This run searched with calibrate=none, so its search and fill compared uncentered log-odds, "
                "while the scores shown are centered.")
    return {"n": counts["n"], "disagree": counts["disagree"], "why": why}


def results_context(run: ElicitationRun) -> dict:
    qs = (label_results.with_confidence(ElicitedLabel.objects.filter(run=run))
          .select_related("example", "example__gold")
          .order_by("example__position", "example_id"))
    rows = []
    for item in qs[:RESULTS_SHOWN]:
        gold = getattr(item.example, "gold", None)
        rows.append({
            "external_id": item.example.external_id,
            "text": _example_text(item.example.fields, item.example.prompt),
            "label": item.label,
            "kind": item.kind,  # elicited / filled / unlabeled
            "batch": item.batch,
            "score": item.score,
            "confidence": item.confidence,
            "disagrees": item.confidence is not None and item.confidence < 0,
            "gold": gold.label if gold is not None else None,
            "matches": None if gold is None or item.label is None else item.label == gold.label,
        })
    total = qs.count()
    return {"run": run, "rows": rows, "total": total, "truncated": total > len(rows),
            "summary": run.summary or {}, "score_agreement": score_agreement(run)}


def run_page(run: ElicitationRun, user) -> dict:
    settings_rows = [
        ("dataset", run.dataset.name), ("split", run.split or "every split"),
        ("subset", run.get_subset_display() + (f" (n={run.sample_size}, seed={run.sample_seed})"
                                               if run.subset == ElicitationRun.Subset.SAMPLE else "")),
        ("examples", run.example_count), ("model", run.model), ("backend", run.get_backend_display()),
        ("device", run.device),
    ]
    if run.base_url:
        settings_rows.append(("base URL", run.base_url))
    summary = dict(run.summary or {})
    context = {
        "run": run,
        "settings_rows": settings_rows,
        "config_rows": sorted(run.config.items()),
        "defaults_applied": summary.get("defaults_applied", []),
        "can_cancel": policies.runs.can_cancel(user, run) and run.is_active,
        "finished": run.state in ElicitationRun.FINISHED_STATES,
        "summary": summary,
        # the studies that started it (a run page's way back to its study; the study page links here)
        "studies": list(run.studies.order_by("pk").values("pk", "name")),
    }
    if context["finished"]:
        context.update(results_context(run))
    return context


__all__ = ["run_list", "run_page", "results_context", "score_agreement", "visible_runs"]
