"""ICM runs on the `gpu` queue (routed by name in settings). Thin: the work is in studio.services.runs.

A worker process loads a model once and keeps it for later runs with the same model, backend and device. It
keeps one model at a time: a GPU holds one large model, and a run of another model frees the previous one.
"""
from __future__ import annotations

import logging
import threading

from celery import shared_task
from celery.signals import worker_ready

log = logging.getLogger(__name__)

_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def get_backend(*, model: str, kind: str, device: str, base_url: str | None = None) -> tuple[object, bool]:
    """(backend, reused): the process's loaded model when it matches, else a fresh load replacing it."""
    key = (model, kind, device, base_url or "")
    with _models_lock:
        if key in _models:
            return _models[key], True
        _models.clear()  # drop the previous model before loading the next (GPU memory)
        from elicitation import load_backend

        log.info("loading model %s (%s on %s)", model, kind, device)
        backend = load_backend(model=model, kind=kind, device=device, base_url=base_url or None)
        _models[key] = backend
        return backend, False


@shared_task(bind=True, name="studio.tasks.elicitation.run_elicitation", acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def run_elicitation(self, run_id: int) -> str:
    from studio.services import runs

    try:
        outcome = runs.execute_run(run_id, task_id=self.request.id or "", get_backend=get_backend)
    except Exception as exc:  # anything outside the engine (database, broker): never leave the run "running"
        runs.mark_failed(run_id, exc)
        raise
    if outcome.retry_in is not None:
        # Another worker still holds this run (Redis re-delivered it early): look again later.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@worker_ready.connect
def requeue_orphaned_runs(**kwargs) -> None:
    """A starting worker queues again the runs a dead worker left behind where the broker will not (see
    studio.services.runs.recovery)."""
    from django.db import connection

    from studio.services.runs.recovery import requeue_orphaned_runs as requeue

    try:
        requeue()
    except Exception:  # never keep a worker from starting
        log.exception("could not look for orphaned runs")
    finally:
        connection.close()
