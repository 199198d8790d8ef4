"""A run is the sum of its batches: it completes when every batch has, is canceled when its batches stopped on
a cancel, and fails (naming the batch and its error) as soon as one batch fails after its retries — the other
batches then stop after their model call in progress (transformers; the scoring call elsewhere), keeping the labels of their last whole iteration."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from studio.models import ElicitationRun, ElicitedLabel, GoldLabel, RunBatch
from studio.services import jobs, tallies
from studio.services.metrics import wilson_interval

from .progress import refresh_run_totals

log = logging.getLogger(__name__)
State = ElicitationRun.State


def batch_failed(batch_id: int, reason: str | None) -> None:
    """Fail the batch (with `reason`, unless it is failed already) and its run, naming the batch."""
    if reason is not None:
        jobs.fail(RunBatch, batch_id, reason, phase=RunBatch.Phase.DONE, heartbeat_at=None)
    batch = RunBatch.objects.get(pk=batch_id)
    total = RunBatch.objects.filter(run_id=batch.run_id).count()
    message = f"batch {batch.index} (of {total}) failed: {batch.error}"
    if jobs.fail(ElicitationRun, batch.run_id, message, cancel_requested=True):
        log.error("run %s failed: %s", batch.run_id, message)
    refresh_run_totals(batch.run_id)
    _summarize(batch.run_id)


def settle_run(run_id: int) -> str | None:
    """Finish the run if all its batches have finished; returns its state then (None while batches remain)."""
    refresh_run_totals(run_id)
    with transaction.atomic():
        run = ElicitationRun.objects.select_for_update().get(pk=run_id)
        if run.state in ElicitationRun.FINISHED_STATES:
            return None
        states = list(run.batches.values_list("state", flat=True))
        if any(s in RunBatch.ACTIVE_STATES for s in states):
            return None
        if states and all(s == State.COMPLETED for s in states):
            run.state = State.COMPLETED
        elif State.FAILED in states:
            run.state = State.FAILED
            run.error = run.error or "a batch failed"
        else:
            run.state = State.CANCELED
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "finished_at", "error"])
        if run.state == State.COMPLETED:  # its labels join the review tallies in the same transaction
            tallies.rebuild(run.dataset_id)
    _summarize(run_id)
    return run.state


def _accuracy(rows: list[tuple[bool, bool]]) -> dict:
    """{"correct", "n", "accuracy", "low", "high"} (Wilson 95%) for (label, gold) pairs."""
    correct = sum(1 for label, gold in rows if label == gold)
    low, high = wilson_interval(correct, len(rows))
    return {"correct": correct, "n": len(rows), "accuracy": correct / len(rows) if rows else None,
            "low": low, "high": high}


def _summarize(run_id: int) -> None:
    """The run's summary when it ends: label counts by kind, accuracy against gold (elicited and filled
    apart; the engine never saw gold), and each batch's coverage."""
    run = ElicitationRun.objects.get(pk=run_id)
    gold = dict(GoldLabel.objects.filter(example_id__in=run.example_ids).values_list("example_id", "label"))
    rows = list(ElicitedLabel.objects.filter(run_id=run_id).values_list("example_id", "label", "kind"))
    Kind = ElicitedLabel.Kind
    counts = {"true": 0, "false": 0, Kind.ELICITED: 0, Kind.FILLED: 0, Kind.UNLABELED: 0}
    judged: dict[str, list] = {Kind.ELICITED: [], Kind.FILLED: []}
    for pk, label, kind in rows:
        counts[kind] += 1
        if label is not None:
            counts["true" if label else "false"] += 1
            if pk in gold:
                judged[kind].append((label, gold[pk]))
    coverage = [{"index": b.index, "examples": b.example_count, "unlabeled_after_search": b.unlabeled_after_search,
                 "filled": b.filled_count, "state": b.state}
                for b in run.batches.only("index", "example_count", "unlabeled_after_search", "filled_count", "state")]
    unlabeled = [c["unlabeled_after_search"] for c in coverage if c["unlabeled_after_search"] is not None]
    run.summary = {
        **run.summary,
        "label_counts": {"true": counts["true"], "false": counts["false"], "elicited": counts[Kind.ELICITED],
                         "filled": counts[Kind.FILLED], "unlabeled": counts[Kind.UNLABELED]},
        "accuracy_vs_gold": {"elicited": _accuracy(judged[Kind.ELICITED]), "filled": _accuracy(judged[Kind.FILLED]),
                             "all": _accuracy(judged[Kind.ELICITED] + judged[Kind.FILLED])},
        "batches_coverage": coverage,
        # more than 90% one label (the engine's DEGENERATE_SHARE), over the whole run
        "degenerate": bool(counts["true"] + counts["false"]) and max(counts["true"], counts["false"])
        > 0.9 * (counts["true"] + counts["false"]),
        "unlabeled_after_search": sum(unlabeled) if unlabeled else None,
    }
    start = run.summary.get("coverage") or {}
    if start.get("warning") and run.state == State.COMPLETED and len(unlabeled) == len(coverage) and not sum(unlabeled):
        # every example was drawn after all: the start's warning did not come true, and is kept only as history
        run.summary["coverage"] = {**start, "warning": None, "warning_at_start": start["warning"]}
    ElicitationRun.objects.filter(pk=run_id).update(summary=run.summary)
