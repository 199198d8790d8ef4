"""The worker side of a run: one delivery of one batch's task. Claim the batch, run the engine on its examples
with progress, checkpoints and cancel, write its labels, then settle the run (studio.services.runs.settling).

A delivery may be the first, a re-delivery after its worker died (resume from the batch's checkpoint), a
duplicate while the first worker is still alive (come back later), or a late copy of a finished batch (no-op).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from django.db import transaction
from django.utils import timezone

from studio.env import env_int
from studio.models import ElicitationRun, RunBatch
from studio.services import engine_port, jobs
from studio.services.jobs import error_text, lease

from .estimates import initial_tokens
from .progress import ProgressRecorder, forget_events_after, gold_for, progress_fields
from .results import centered_scores, write_labels
from .settling import batch_failed, settle_run
from .subsets import example_rows

log = logging.getLogger(__name__)
State = ElicitationRun.State
Phase = RunBatch.Phase

# get_backend(model=, kind=, device=, base_url=) -> (backend, reused): the worker's per-process model cache
# (engine_port.get_backend; tests may hand in another).
BackendGetter = Callable[..., tuple[object, bool]]


@dataclass
class Outcome:
    state: str
    retry_in: float | None = None  # set when another live worker holds the batch: look again later
    detail: str = ""


def execute_batch(batch_id: int, *, task_id: str, get_backend: BackendGetter, worker: str | None = None) -> Outcome:
    worker = worker or lease.this_worker()
    outcome = _claim(batch_id, task_id, worker)
    if outcome is not None:
        return outcome
    batch = RunBatch.objects.select_related("run", "run__dataset").get(pk=batch_id)
    try:
        with lease.Heartbeat(RunBatch, batch_id, worker) as heartbeat:
            return _work(batch, worker, get_backend, heartbeat)
    except lease.LeaseLost as exc:
        log.warning("batch %s: %s; leaving it to the new holder", batch_id, exc)
        return Outcome("lost", detail=str(exc))
    except Exception as exc:
        log.exception("batch %s of run %s failed", batch.index, batch.run_id)
        mark_failed(batch_id, exc, worker=worker)
        return Outcome(State.FAILED, detail=error_text(exc))


def _claim(batch_id: int, task_id: str, worker: str) -> Outcome | None:
    """Take the batch for this worker, or say why not. Returns None when the worker should go ahead."""
    outcome, after = _claim_locked(batch_id, task_id, worker)
    if after is not None:  # settle the run once the batch's row is committed
        after()
    return outcome


def _claim_locked(batch_id: int, task_id: str, worker: str):
    with transaction.atomic():
        batch = RunBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            return Outcome("missing", detail=f"batch {batch_id} no longer exists"), None
        if batch.state in RunBatch.FINISHED_STATES:
            return Outcome(batch.state, detail="already finished"), None
        run = ElicitationRun.objects.select_for_update().get(pk=batch.run_id)
        if run.state in ElicitationRun.FINISHED_STATES or run.cancel_requested:
            # The run was canceled, or failed because another batch did: this batch does not start.
            jobs.finish(RunBatch, batch_id, State.CANCELED, phase=Phase.DONE, heartbeat_at=None)
            return Outcome(State.CANCELED, detail=f"run {run.pk} is {run.state}"), lambda: settle_run(run.pk)
        if batch.state == State.RUNNING and lease.holder_alive(batch, worker):
            return Outcome(batch.state, retry_in=lease.stale_after().total_seconds() + 1,
                           detail=f"held by {batch.worker}, which is alive"), None
        if batch.state == State.RUNNING and batch.attempts >= max_deliveries():
            # Each worker that took it died (out of memory, say): stop handing it out.
            reason = (f"its worker died {batch.attempts} times while running it (out of memory?); its "
                      f"checkpoint at iteration {_checkpoint_iteration(batch.checkpoint)} is kept")
            return Outcome(State.FAILED, detail=reason), lambda: batch_failed(batch_id, reason)
        if batch.state == State.RUNNING:
            # The worker that had it died: resume from the checkpoint, replaying the iterations after it.
            done = _checkpoint_iteration(batch.checkpoint)
            forget_events_after(batch, done)
            if batch.checkpoint is None:  # it starts over: its tokens and time so far are not kept
                batch.tokens_used, batch.seconds_used = 0, 0.0
            log.warning("batch %s of run %s: resuming after a lost worker (%s) from iteration %s", batch.index,
                        run.pk, batch.worker, done)
        jobs.begin(batch, task_id=task_id)
        lease.take(batch, worker)
        batch.phase = Phase.LOADING
        batch.save()  # every field: a resume also reset tokens_used
        if run.state == State.PENDING:  # the first batch to start starts the run
            ElicitationRun.objects.filter(pk=run.pk).update(state=State.RUNNING, started_at=timezone.now())
    return None, None


def max_deliveries() -> int:
    return max(1, env_int("RUN_MAX_DELIVERIES", 5))


def _checkpoint_iteration(checkpoint: dict | None) -> int:
    from studio.services.engine_port.work import checkpoint_iteration

    return checkpoint_iteration(checkpoint)


def _work(batch: RunBatch, worker: str, get_backend: BackendGetter, heartbeat: lease.Heartbeat) -> Outcome:
    from studio.services.engine_port import work

    run = batch.run
    problem = work.problem_of(example_rows(batch.example_ids), run.dataset.consistency)
    config = engine_port.load_config(run.config).replace(seed=batch.seed)
    began = time.monotonic()
    backend, reused = get_backend(model=run.model, kind=run.backend, device=run.device, base_url=run.base_url or None,
                                  **({"max_model_len": work.model_len_for(problem, config)} if run.backend == "vllm" else {}))
    load_seconds = time.monotonic() - began
    state = work.load_state(batch.checkpoint)
    recorder = ProgressRecorder(batch, worker, gold=gold_for(batch.example_ids),
                                labels=state.labels if state else None,
                                initial_tokens_expected=initial_tokens(problem, run.config))
    # fail fast if someone took the batch over during a long model load
    lease.renew(RunBatch, batch.pk, worker, phase=Phase.SEARCHING)

    def should_stop() -> bool:
        return heartbeat.lost.is_set() or recorder.should_stop()

    result = work.run_search(problem, config, backend, on_event=recorder.on_event, should_stop=should_stop,
                             state=state, on_checkpoint=recorder.on_checkpoint, on_progress=recorder.on_progress)
    if heartbeat.lost.is_set():
        raise lease.LeaseLost(f"batch {batch.index} of run {run.pk} was taken over while this worker ran it")
    recorder.flush()
    model_note = {"reused": bool(reused), "load_seconds": round(load_seconds, 2)}
    return _finish(batch.pk, worker, result, recorder, model_note)


def _finish(batch_id: int, worker: str, result, recorder: ProgressRecorder, model_note: dict) -> Outcome:
    labels = {str(k): v for k, v in result.labels.items()}
    filled = {str(k) for k in result.filled}
    # stored scores are centered whatever the run's calibrate setting (results.py says what a score means)
    # (score_center: the mean raw log-odds of True over the search's labels, i.e. the model's lean)
    raw = result.raw_scores or result.scores
    scores, score_center = centered_scores({str(k): v for k, v in raw.items()}, labels, filled)
    with transaction.atomic():
        batch = RunBatch.objects.select_for_update().get(pk=batch_id)
        if batch.worker != worker:
            raise lease.LeaseLost(f"batch {batch.index} of run {batch.run_id} is held by {batch.worker}")
        write_labels(batch.run_id, batch.example_ids, labels, scores, filled=filled, batch=batch.index)
        summary = result.summary or {}
        batch.checkpoint = result.state.to_dict()
        batch.state = State.CANCELED if result.stopped else State.COMPLETED
        batch.phase = Phase.DONE
        if recorder.latest is not None:
            for name, value in progress_fields(recorder.latest).items():
                setattr(batch, name, value)
        batch.labeled_count = sum(1 for v in labels.values() if v is not None)
        batch.filled_count = len(filled)
        if not result.stopped:
            batch.unlabeled_after_search = summary["unlabeled"]  # left by the search, before fill
        batch.tokens_used = int(summary.get("tokens") or batch.tokens_used) + int(summary.get("fill_tokens") or 0)
        batch.seconds_used = recorder.elapsed()
        batch.summary = {**batch.summary, "search": _json_safe(summary), "model_load": model_note,
                         "score_center": score_center}
        batch.finished_at = timezone.now()
        lease.release(batch)
        batch.error = ""
        batch.save()
    settle_run(batch.run_id)
    log.info("batch %s of run %s %s: %s iterations, %s model tokens in %.1f s (model %s)", batch.index,
             batch.run_id, batch.state, batch.iteration, batch.tokens_used, batch.seconds_used,
             "reused" if model_note["reused"] else f"loaded in {model_note['load_seconds']} s")
    return Outcome(batch.state)


def _json_safe(value):
    import json

    return json.loads(json.dumps(value, default=str))


def mark_failed(batch_id: int, exc: BaseException | str, *, worker: str | None = None) -> bool:
    """Record a failure on an unfinished batch (never overwrite a finished one, or one another worker took),
    and fail its run, naming the batch."""
    failed = jobs.fail(RunBatch, batch_id, exc, filters={"worker__in": [worker, ""]} if worker is not None else None,
                       phase=Phase.DONE, heartbeat_at=None)
    if failed:
        batch_failed(batch_id, None)
    return failed
