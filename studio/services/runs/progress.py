"""Writing the engine's progress to the run while it works, and reading it back for the live page.

The engine reports every iteration; the recorder keeps the latest and writes it (a RunEvent row plus the run's
progress fields) at most every `min_interval` seconds. Accuracy against gold is computed here, from GoldLabel:
the engine never sees gold.
"""
from __future__ import annotations

import time

from django.utils import timezone

from studio.models import ElicitationRun, GoldLabel, RunEvent
from studio.services.engine_port import EngineEvent
from studio.services.jobs import lease



def gold_for(run: ElicitationRun) -> dict[str, bool]:
    """Gold labels of the run's examples, keyed like the engine's example ids."""
    rows = GoldLabel.objects.filter(example_id__in=run.example_ids).values_list("example_id", "label")
    return {str(pk): label for pk, label in rows}


def accuracy(labels: dict, gold: dict[str, bool]) -> float | None:
    """Share of labeled examples with gold whose label matches it (None when there is nothing to compare)."""
    judged = [(value == gold[i]) for i, value in labels.items() if value is not None and i in gold]
    return sum(judged) / len(judged) if judged else None


def progress_fields(event: EngineEvent) -> dict:
    """The run's progress fields for an engine event: the one place an event maps onto a run."""
    return {"iteration": event.iteration, "accepted_flips": event.accepted_flips, "energy": event.energy,
            "inconsistencies": event.inconsistencies, "labeled_count": event.labeled_count,
            "tokens_used": event.tokens}


def event_row(run_id: int, event: EngineEvent, accuracy_so_far: float | None) -> RunEvent:
    """The RunEvent row (one point of the live page's curves) for an engine event."""
    return RunEvent(run_id=run_id, iteration=event.iteration, energy=event.energy,
                    accepted_flips=event.accepted_flips, inconsistencies=event.inconsistencies,
                    labeled_count=event.labeled_count, true_count=event.true_count, false_count=event.false_count,
                    accuracy=accuracy_so_far, tokens=event.tokens)


class ProgressRecorder:
    def __init__(self, run: ElicitationRun, worker: str, *, gold: dict[str, bool], labels: dict | None = None,
                 min_interval: float = 0.25, cancel_interval: float = 0.5, clock=time.monotonic):
        self.run_id, self.worker, self.gold = run.pk, worker, gold
        self.labels: dict = dict(labels or {})
        self.min_interval, self.cancel_interval, self.clock = min_interval, cancel_interval, clock
        self.seconds_before = run.seconds_used  # earlier deliveries' time (a resumed run adds to it)
        self.started = clock()
        self.latest: EngineEvent | None = None
        self.written_iteration: int | None = None
        self.last_write = float("-inf")
        self.last_cancel_check = float("-inf")
        self.cancel_requested = False
        self.events_written = 0

    # --- callbacks handed to the engine ---

    def on_event(self, event: EngineEvent) -> None:
        # The engine's first event lists the initial labels; later ones list the labels that changed.
        if event.labels is not None:
            self.labels = dict(event.labels)
        self.labels.update(event.changes)
        self.latest = event
        if self.clock() - self.last_write >= self.min_interval:
            self.write()

    def should_stop(self) -> bool:
        now = self.clock()
        if not self.cancel_requested and now - self.last_cancel_check >= self.cancel_interval:
            self.last_cancel_check = now
            self.cancel_requested = ElicitationRun.objects.filter(pk=self.run_id, cancel_requested=True).exists()
        return self.cancel_requested

    def on_checkpoint(self, state) -> None:
        self.labels = {str(k): v for k, v in state.labels.items()}
        self.write(checkpoint=state.to_dict())

    # --- writing ---

    def elapsed(self) -> float:
        return self.seconds_before + (self.clock() - self.started)

    def write(self, checkpoint: dict | None = None) -> None:
        """Write the latest event (if new) and the run's progress fields; with a checkpoint, save it too."""
        event = self.latest
        fields: dict = {"seconds_used": self.elapsed()}
        if event is not None:
            fields.update(progress_fields(event))
        if checkpoint is not None:
            fields["checkpoint"] = checkpoint
        lease.renew(ElicitationRun, self.run_id, self.worker, **fields)
        if event is not None and event.iteration != self.written_iteration:
            event_row(self.run_id, event, accuracy(self.labels, self.gold)).save()
            self.written_iteration = event.iteration
            self.events_written += 1
        self.last_write = self.clock()

    def flush(self) -> None:
        if self.latest is not None and self.latest.iteration != self.written_iteration:
            self.write()


def forget_events_after(run: ElicitationRun, iteration: int) -> None:
    """A resumed run replays the iterations after its checkpoint: drop their old events so curves don't double."""
    RunEvent.objects.filter(run=run, iteration__gt=iteration).delete()


def live_snapshot(run: ElicitationRun, *, after: int | None = None, limit: int = 2000) -> dict:
    """What the run's live page polls: the run's state and progress, and its events after iteration `after`."""
    events = run.events.order_by("iteration", "id")
    if after is not None:
        events = events.filter(iteration__gt=after)
    rows = list(events.values("iteration", "energy", "accepted_flips", "inconsistencies", "labeled_count",
                              "true_count", "false_count", "accuracy", "tokens")[:limit])
    last = rows[-1] if rows else run.events.order_by("-iteration", "-id").values(
        "true_count", "false_count", "accuracy").first()
    iterations = run.config.get("iterations")
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": run.get_state_display(),
        "active": run.is_active,
        "cancel_requested": run.cancel_requested,
        "iteration": run.iteration,
        "iterations": iterations,
        "accepted_flips": run.accepted_flips,
        "energy": run.energy,
        "inconsistencies": run.inconsistencies,
        "labeled_count": run.labeled_count,
        "example_count": run.example_count,
        "true_count": (last or {}).get("true_count"),
        "false_count": (last or {}).get("false_count"),
        "accuracy": (last or {}).get("accuracy"),
        "tokens_used": run.tokens_used,
        "seconds_used": round(run.seconds_used, 1),
        "attempts": run.attempts,
        "error": run.error,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "heartbeat_age_s": (timezone.now() - run.heartbeat_at).total_seconds() if run.heartbeat_at else None,
        "events": rows,
    }
