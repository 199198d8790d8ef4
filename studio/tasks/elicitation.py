"""ICM runs on the `gpu` queue (routed by name in settings). Thin: the work is in studio.services.runs, and the
process's loaded model is kept by the engine port's model cache (studio.services.engine_port.model_cache), which
runs and evaluations share.
"""
from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

log = logging.getLogger(__name__)


@shared_task(bind=True, name="studio.tasks.elicitation.run_batch", acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def run_batch(self, batch_id: int) -> str:
    """One batch of a run (its batches run in parallel, one per worker)."""
    from studio.services import engine_port, runs

    try:
        outcome = runs.execute_batch(batch_id, task_id=self.request.id or "", get_backend=engine_port.get_backend)
    except Exception as exc:  # anything outside the engine (database, broker): never leave the batch "running"
        runs.mark_failed(batch_id, exc)
        raise
    if outcome.retry_in is not None:
        # Another worker still holds this batch (Redis re-delivered it early): look again later.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@worker_ready.connect
def requeue_orphaned_batches(**kwargs) -> None:
    """A starting worker queues again the batches a dead worker left behind where the broker will not (see
    studio.services.runs.recovery)."""
    from django.db import connection

    from studio.services.runs.recovery import requeue_orphaned_batches as requeue

    try:
        requeue()
    except Exception:  # never keep a worker from starting
        log.exception("could not look for orphaned batches")
    finally:
        connection.close()
