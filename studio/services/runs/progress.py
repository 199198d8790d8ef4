"""Writing the engine's progress to a run's batch while it works, and reading it back for the live page.

The engine reports every iteration; the recorder keeps the latest and writes it (a RunEvent row plus the run's
progress fields) at most every `min_interval` seconds. Between iterations (and before the first: scoring the
initial labels can take minutes) the engine also reports after every scoring call; the recorder writes those
tokens and seconds, and the stage the batch is in (batch.summary["progress"]), at most every
`progress_interval` seconds. Accuracy against gold is computed here, from GoldLabel: the engine never sees gold.
"""
from __future__ import annotations

import time

from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.models import ElicitationRun, GoldLabel, RunBatch, RunEvent
from studio.services.engine_port import EngineEvent
from studio.services.jobs import lease

from . import eta



def gold_for(example_ids) -> dict[str, bool]:
    """Gold labels of these examples, keyed like the engine's example ids."""
    rows = GoldLabel.objects.filter(example_id__in=list(example_ids)).values_list("example_id", "label")
    return {str(pk): label for pk, label in rows}


def accuracy(labels: dict, gold: dict[str, bool]) -> float | None:
    """Share of labeled examples with gold whose label matches it (None when there is nothing to compare)."""
    judged = [(value == gold[i]) for i, value in labels.items() if value is not None and i in gold]
    return sum(judged) / len(judged) if judged else None


def progress_fields(event: EngineEvent) -> dict:
    """A batch's progress fields for an engine event: the one place an event maps onto a batch."""
    return {"iteration": event.iteration, "accepted_flips": event.accepted_flips, "energy": event.energy,
            "inconsistencies": event.inconsistencies, "labeled_count": event.labeled_count,
            "tokens_used": event.tokens}


def event_row(run_id: int, batch: int, event: EngineEvent, accuracy_so_far: float | None) -> RunEvent:
    """The RunEvent row (one point of the live page's curves) for an engine event of one batch."""
    return RunEvent(run_id=run_id, batch=batch, iteration=event.iteration, energy=event.energy,
                    accepted_flips=event.accepted_flips, inconsistencies=event.inconsistencies,
                    labeled_count=event.labeled_count, true_count=event.true_count, false_count=event.false_count,
                    accuracy=accuracy_so_far, tokens=event.tokens)


def refresh_run_totals(run_id: int) -> None:
    """The run's progress fields as the sums over its batches (energy and inconsistencies: summed too, as each
    batch's search is independent), in one UPDATE: no lock shared between the batches' workers."""
    totals = RunBatch.objects.filter(run_id=run_id).aggregate(
        iteration=Coalesce(Sum("iteration"), 0), accepted_flips=Coalesce(Sum("accepted_flips"), 0),
        labeled_count=Coalesce(Sum("labeled_count"), 0), tokens_used=Coalesce(Sum("tokens_used"), 0),
        seconds_used=Coalesce(Sum("seconds_used"), 0.0), energy=Sum("energy"),
        inconsistencies=Sum("inconsistencies"))
    ElicitationRun.objects.filter(pk=run_id).update(**totals)


class ProgressRecorder:
    """Writes one batch's progress while its worker searches; also answers "should this batch stop?" (the run
    was canceled, or failed because another batch did)."""

    def __init__(self, batch: RunBatch, worker: str, *, gold: dict[str, bool], labels: dict | None = None,
                 min_interval: float = 0.25, cancel_interval: float = 0.5, progress_interval: float = 2.0,
                 initial_tokens_expected: float | None = None, clock=time.monotonic):
        self.batch_id, self.run_id, self.index, self.worker, self.gold = batch.pk, batch.run_id, batch.index, worker, gold
        self.labels: dict = dict(labels or {})
        self.min_interval, self.cancel_interval, self.clock = min_interval, cancel_interval, clock
        self.seconds_before = batch.seconds_used  # earlier deliveries' time (a resumed batch adds to it)
        self.started = clock()
        self.latest: EngineEvent | None = None
        self.written_iteration: int | None = None
        self.last_write = float("-inf")
        self.totals_interval, self.last_totals = 1.0, clock()
        self.last_cancel_check = float("-inf")
        self.cancel_requested = False
        self.events_written = 0
        # The stage as the live page shows it: phase, tokens and seconds as they accrue, and how long the
        # initialization took (the ETA leaves it out). Kept in batch.summary["progress"], beside what it holds.
        self.summary = dict(batch.summary or {})
        self.stage: dict = {**dict(self.summary.get("progress") or {}),
                            "initial_tokens_expected": round(initial_tokens_expected or 0) or None}
        self.progress_interval, self.last_progress = progress_interval, float("-inf")

    # --- callbacks handed to the engine ---

    def on_event(self, event: EngineEvent) -> None:
        # The engine's first event lists the initial labels; later ones list the labels that changed.
        if event.labels is not None:
            self.labels = dict(event.labels)
        self.labels.update(event.changes)
        self.latest = event
        first = event.iteration == 0
        if first:  # the initialization is done: its time is not iteration time (eta.py)
            self.stage.update(initial_seconds=round(self.elapsed(), 3), phase="search")
        elif self.stage.get("phase") != "fill":
            self.stage["phase"] = "search"
        if first or self.clock() - self.last_write >= self.min_interval:
            self.write()

    def on_progress(self, report: dict) -> None:
        """The engine's report after a scoring call: {phase, iteration, tokens, seconds}."""
        self.stage.update(phase=report.get("phase"), tokens=int(report.get("tokens") or 0))
        if report.get("phase") == "initial":
            self.stage["initial_seconds"] = None
        if self.clock() - self.last_progress >= self.progress_interval:
            self.write_stage()

    def write_stage(self) -> None:
        tokens = int(self.stage.get("tokens") or 0)
        fields = {"seconds_used": self.elapsed(), "summary": {**self.summary, "progress": dict(self.stage)}}
        if self.latest is None or tokens >= self.latest.tokens:
            fields["tokens_used"] = tokens
        lease.renew(RunBatch, self.batch_id, self.worker, **fields)
        self.last_progress = self.clock()
        if self.clock() - self.last_totals >= self.totals_interval:
            refresh_run_totals(self.run_id)
            self.last_totals = self.clock()

    def should_stop(self) -> bool:
        now = self.clock()
        if not self.cancel_requested and now - self.last_cancel_check >= self.cancel_interval:
            self.last_cancel_check = now
            self.cancel_requested = ElicitationRun.objects.filter(pk=self.run_id).filter(
                Q(cancel_requested=True) | Q(state__in=ElicitationRun.FINISHED_STATES)).exists()
        return self.cancel_requested

    def on_checkpoint(self, state) -> None:
        self.labels = {str(k): v for k, v in state.labels.items()}
        self.write(checkpoint=state.to_dict())

    # --- writing ---

    def elapsed(self) -> float:
        return self.seconds_before + (self.clock() - self.started)

    def write(self, checkpoint: dict | None = None, **extra) -> None:
        """Write the latest event (if new) and the batch's progress fields; with a checkpoint, save it too."""
        event = self.latest
        fields: dict = {"seconds_used": self.elapsed(), **extra}
        if event is not None:
            fields.update(progress_fields(event))
            self.stage["tokens"] = max(int(self.stage.get("tokens") or 0), event.tokens)
        fields["summary"] = {**self.summary, "progress": dict(self.stage)}
        if checkpoint is not None:
            fields["checkpoint"] = checkpoint
        lease.renew(RunBatch, self.batch_id, self.worker, **fields)
        if event is not None and event.iteration != self.written_iteration:
            event_row(self.run_id, self.index, event, accuracy(self.labels, self.gold)).save()
            self.written_iteration = event.iteration
            self.events_written += 1
        if self.clock() - self.last_totals >= self.totals_interval:  # the run's sums: a second or so behind
            refresh_run_totals(self.run_id)
            self.last_totals = self.clock()
        self.last_write = self.clock()

    def flush(self) -> None:
        if self.latest is not None and self.latest.iteration != self.written_iteration:
            self.write()


def forget_events_after(batch: RunBatch, iteration: int) -> None:
    """A resumed batch replays the iterations after its checkpoint: drop their old events so curves don't
    double."""
    RunEvent.objects.filter(run_id=batch.run_id, batch=batch.index, iteration__gt=iteration).delete()


def initial_seconds(batch: RunBatch) -> float:
    """Of the batch's seconds, those its initialization took (0 until it is known)."""
    return float(((batch.summary or {}).get("progress") or {}).get("initial_seconds") or 0.0)


STAGE_WORDS = {"initial": "scoring the initial labels", "search": "searching", "fill": "filling the unlabeled"}


def stage(batch: RunBatch) -> dict | None:
    """What a running batch is doing, for the page: {"phase", "text", "tokens", "tokens_expected"}, e.g. "scoring
    the initial labels: 12,400 of ~36,000 tokens" (the expected count is the cost model's, hence "~")."""
    if batch.state != RunBatch.State.RUNNING or batch.phase != RunBatch.Phase.SEARCHING:
        return None
    progress = (batch.summary or {}).get("progress") or {}
    phase = progress.get("phase") or ("search" if batch.iteration > 0 else "initial")
    tokens = max(int(progress.get("tokens") or 0), batch.tokens_used)
    expected = progress.get("initial_tokens_expected") if phase == "initial" else None
    text = f"{STAGE_WORDS.get(phase, phase)}: {tokens:,}" + (f" of ~{expected:,} tokens" if expected else " tokens")
    if phase == "search":
        text = f"searching: iteration {batch.iteration}, {tokens:,} tokens"
    return {"phase": phase, "text": text, "tokens": tokens, "tokens_expected": expected}


def batch_row(batch: RunBatch, iterations: int | None, eta_seconds: float | None = None) -> dict:
    """One cell of the run page's batch grid (with its latest event's counts when the query annotated them)."""
    return {
        "index": batch.index, "state": batch.state, "state_label": batch.get_state_display(),
        "phase": batch.phase, "phase_label": batch.get_phase_display(),
        "iteration": batch.iteration, "iterations": iterations, "example_count": batch.example_count,
        "groups": batch.groups, "labeled_count": batch.labeled_count,
        "unlabeled_after_search": batch.unlabeled_after_search, "filled_count": batch.filled_count,
        "inconsistencies": batch.inconsistencies, "energy": batch.energy, "tokens_used": batch.tokens_used,
        "seconds_used": round(batch.seconds_used, 1), "attempts": batch.attempts, "worker": batch.worker,
        "error": batch.error, "coverage_warning": (batch.summary or {}).get("coverage", {}).get("warning"),
        "heartbeat_age_s": (timezone.now() - batch.heartbeat_at).total_seconds() if batch.heartbeat_at else None,
        "eta_seconds": round(eta_seconds, 1) if eta_seconds is not None else None,
        "stage": stage(batch), "initial_seconds": round(initial_seconds(batch), 1),
        "accuracy": getattr(batch, "latest_accuracy", None), "true_count": getattr(batch, "latest_true", None),
        "false_count": getattr(batch, "latest_false", None),
    }


def _so_far(batches: list[dict]) -> dict:
    """The run's True / False counts and accuracy against gold so far, from each batch's latest event; the
    accuracy is the batches' own, weighted by how many each has labeled (exact when every example has gold)."""
    seen = [b for b in batches if b["true_count"] is not None]
    judged = [(b["accuracy"], b["true_count"] + b["false_count"]) for b in seen if b["accuracy"] is not None]
    weight = sum(n for _, n in judged)
    return {"true_count": sum(b["true_count"] for b in seen) if seen else None,
            "false_count": sum(b["false_count"] for b in seen) if seen else None,
            "accuracy": sum(a * n for a, n in judged) / weight if weight else None}


def live_snapshot(run: ElicitationRun, *, after: int | None = None, limit: int = 2000) -> dict:
    """What the run's live page polls: the run's state and totals, one row per batch (with its ETA), the ETA
    of the run, and the progress events after event id `after` (each names its batch; iterations count within
    a batch). `more_events` says the page should ask again at once (`limit` events came back)."""
    events = run.events.order_by("id")
    if after is not None:
        events = events.filter(id__gt=after)
    rows = list(events.values("id", "batch", "iteration", "energy", "accepted_flips", "inconsistencies",
                              "labeled_count", "true_count", "false_count", "accuracy", "tokens")[:limit])
    iterations = run.config.get("iterations")
    latest = RunEvent.objects.filter(run_id=OuterRef("run_id"), batch=OuterRef("index")).order_by("-iteration", "-id")
    records = list(run.batches.defer("checkpoint", "example_ids").annotate(
        latest_accuracy=Subquery(latest.values("accuracy")[:1]), latest_true=Subquery(latest.values("true_count")[:1]),
        latest_false=Subquery(latest.values("false_count")[:1])))
    clocks = eta.estimate([eta.BatchClock(b.state, b.iteration, b.seconds_used, initial_seconds(b)) for b in records],
                          iterations)
    active = run.is_active and not run.cancel_requested  # a stopping run has no time left to estimate
    batches = [batch_row(b, iterations, seconds if active else None) for b, seconds in zip(records, clocks.batches)]
    summary = run.summary or {}
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": run.get_state_display(),
        "active": run.is_active,
        "cancel_requested": run.cancel_requested,
        "iteration": run.iteration,
        "iterations": iterations * len(batches) if iterations is not None else None,
        "iterations_per_batch": iterations,
        "accepted_flips": run.accepted_flips,
        "energy": run.energy,
        "inconsistencies": run.inconsistencies,
        "labeled_count": run.labeled_count,
        "example_count": run.example_count,
        **_so_far(batches),
        "batch_count": len(batches),
        "batches_done": sum(1 for b in batches if b["state"] in ElicitationRun.FINISHED_STATES),
        "batches_running": clocks.running,
        "filled_count": sum(b["filled_count"] for b in batches),
        "coverage_warning": summary.get("coverage", {}).get("warning"),
        "eta_seconds": round(clocks.overall, 1) if active and clocks.overall is not None else None,
        "tokens_used": run.tokens_used,
        "seconds_used": round(run.seconds_used, 1),
        # the freshest heartbeat of the batches running now: a worker that is alive, even between iterations
        "heartbeat_age_s": min((b["heartbeat_age_s"] for b in batches if b["heartbeat_age_s"] is not None),
                               default=None),
        "stages": [dict(b["stage"], batch=b["index"]) for b in batches if b["stage"]],
        "attempts": sum(b["attempts"] for b in batches),
        "error": run.error,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "label_counts": summary.get("label_counts"),
        "accuracy_vs_gold": summary.get("accuracy_vs_gold"),
        "batches": batches,
        "events": rows,
        "more_events": len(rows) == limit,
    }
