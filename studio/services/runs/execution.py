"""The worker side of a run: claim it, run the engine with progress, checkpoints and cancel, write the result.

A delivery of the task may be the first, a re-delivery after its worker died (resume from run.checkpoint), a
duplicate while the first worker is still alive (come back later), or a late copy of a finished run (no-op).
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from django.db import transaction
from django.utils import timezone

from studio.env import env_int
from studio.models import ElicitationRun
from studio.services import engine_port, jobs, tallies
from studio.services.jobs import error_text, lease

from .progress import ProgressRecorder, accuracy, forget_events_after, gold_for, progress_fields
from .results import write_labels
from .subsets import run_examples

log = logging.getLogger(__name__)
State = ElicitationRun.State

# get_backend(model=, kind=, device=, base_url=) -> (backend, reused): the worker's per-process model cache
# (engine_port.get_backend; tests may hand in another).
BackendGetter = Callable[..., tuple[object, bool]]


@dataclass
class Outcome:
    state: str
    retry_in: float | None = None  # set when another live worker holds the run: look again later
    detail: str = ""


def execute_run(run_id: int, *, task_id: str, get_backend: BackendGetter, worker: str | None = None) -> Outcome:
    worker = worker or lease.this_worker()
    outcome = _claim(run_id, task_id, worker)
    if outcome is not None:
        return outcome
    run = ElicitationRun.objects.select_related("dataset").get(pk=run_id)
    try:
        with lease.Heartbeat(ElicitationRun, run_id, worker) as heartbeat:
            return _work(run, worker, get_backend, heartbeat)
    except lease.LeaseLost as exc:
        log.warning("run %s: %s; leaving it to the new holder", run_id, exc)
        return Outcome("lost", detail=str(exc))
    except Exception as exc:
        log.exception("run %s failed", run_id)
        mark_failed(run_id, exc, worker=worker)
        return Outcome(State.FAILED, detail=error_text(exc))


def _claim(run_id: int, task_id: str, worker: str) -> Outcome | None:
    """Take the run for this worker, or say why not. Returns None when the worker should go ahead."""
    with transaction.atomic():
        run = ElicitationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return Outcome("missing", detail=f"run {run_id} no longer exists")
        if run.state in ElicitationRun.FINISHED_STATES:
            return Outcome(run.state, detail="already finished")
        if run.state == State.RUNNING and lease.holder_alive(run, worker):
            return Outcome(run.state, retry_in=lease.stale_after().total_seconds() + 1,
                           detail=f"held by {run.worker}, which is alive")
        if run.state == State.RUNNING and run.attempts >= max_deliveries():
            # Each worker that took it died (out of memory, say): stop handing it out.
            reason = (f"the run's worker died {run.attempts} times while running it (out of memory?); "
                      f"its checkpoint at iteration {_checkpoint_iteration(run.checkpoint)} is kept")
            jobs.fail(ElicitationRun, run_id, reason)
            return Outcome(State.FAILED, detail=reason)
        if run.state == State.RUNNING:
            # The worker that had it died: resume from the checkpoint, replaying the iterations after it.
            done = _checkpoint_iteration(run.checkpoint)
            forget_events_after(run, done)
            if run.checkpoint is None:
                run.tokens_used = 0
            log.warning("run %s: resuming after a lost worker (%s) from iteration %s", run_id, run.worker, done)
        jobs.begin(run, task_id=task_id)
        lease.take(run, worker)
        run.save()  # every field: a resume also reset tokens_used
    return None


def max_deliveries() -> int:
    return max(1, env_int("RUN_MAX_DELIVERIES", 5))


def _checkpoint_iteration(checkpoint: dict | None) -> int:
    from studio.services.engine_port.work import checkpoint_iteration

    return checkpoint_iteration(checkpoint)


def _work(run: ElicitationRun, worker: str, get_backend: BackendGetter, heartbeat: lease.Heartbeat) -> Outcome:
    from studio.services.engine_port import work

    problem = work.problem_of(run_examples(run).values_list("pk", "prompt", "group", "key"),
                              run.dataset.consistency)
    config = engine_port.load_config(run.config)
    began = time.monotonic()
    backend, reused = get_backend(model=run.model, kind=run.backend, device=run.device, base_url=run.base_url or None)
    load_seconds = time.monotonic() - began
    state = work.load_state(run.checkpoint)
    recorder = ProgressRecorder(run, worker, gold=gold_for(run), labels=state.labels if state else None)
    recorder.started = began
    lease.renew(ElicitationRun, run.pk, worker)  # fail fast if someone took the run over during a long model load

    def should_stop() -> bool:
        return heartbeat.lost.is_set() or recorder.should_stop()

    result = work.run_search(problem, config, backend, on_event=recorder.on_event, should_stop=should_stop,
                             state=state, on_checkpoint=recorder.on_checkpoint)
    if heartbeat.lost.is_set():
        raise lease.LeaseLost(f"run {run.pk} was taken over while this worker ran it")
    recorder.flush()
    model_note = {"reused": bool(reused), "load_seconds": round(load_seconds, 2)}
    return _finish(run.pk, worker, result, recorder, model_note)


def _json_safe(value):
    return json.loads(json.dumps(value, default=str))


def _finish(run_id: int, worker: str, result, recorder: ProgressRecorder, model_note: dict) -> Outcome:
    labels = {str(k): v for k, v in result.labels.items()}
    scores = {str(k): v for k, v in result.scores.items()}
    with transaction.atomic():
        run = ElicitationRun.objects.select_for_update().get(pk=run_id)
        if run.worker != worker:
            raise lease.LeaseLost(f"run {run_id} is held by {run.worker}")
        write_labels(run, labels, scores)
        counts = Counter("true" if v else "false" for v in labels.values() if v is not None)
        run.checkpoint = result.state.to_dict()
        run.state = State.CANCELED if result.stopped else State.COMPLETED
        run.summary = _json_safe({
            **run.summary,
            **(result.summary or {}),
            "label_counts": {"true": counts["true"], "false": counts["false"],
                             "unlabeled": len(labels) - counts["true"] - counts["false"]},
            "accuracy_vs_gold": accuracy(labels, recorder.gold),
            "labeled_with_gold": sum(1 for i, v in labels.items() if v is not None and i in recorder.gold),
            "model_load": model_note,
        })
        if recorder.latest is not None:
            for name, value in progress_fields(recorder.latest).items():
                setattr(run, name, value)
        run.labeled_count = counts["true"] + counts["false"]
        run.seconds_used = recorder.elapsed()
        run.finished_at = timezone.now()
        lease.release(run)
        run.error = ""
        run.save()
        if run.state == State.COMPLETED:  # its labels join the review tallies in the same transaction
            tallies.rebuild(run.dataset_id)
    log.info("run %s %s: %s iterations, %s model tokens in %.1f s (model %s)", run_id, run.state, run.iteration,
             run.tokens_used, run.seconds_used, "reused" if model_note["reused"] else
             f"loaded in {model_note['load_seconds']} s")
    return Outcome(run.state)


def mark_failed(run_id: int, exc: BaseException, *, worker: str | None = None) -> bool:
    """Record a failure on an unfinished run (never overwrite a finished one, or one another worker took)."""
    return jobs.fail(ElicitationRun, run_id, exc, filters={"worker__in": [worker, ""]} if worker is not None else None)

