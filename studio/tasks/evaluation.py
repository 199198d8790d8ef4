"""The paper's comparison on the `gpu` queue (routed by name in settings). Thin: the work is in
studio.services.evaluation. It shares the engine port's per-process model cache with runs, so a worker keeps
one model loaded for runs and evaluations alike."""
from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, name="studio.tasks.evaluation.run_evaluation", acks_late=True, reject_on_worker_lost=True)
def run_evaluation(self, evaluation_id: int) -> str:
    from studio.services import engine_port, evaluation

    try:
        ev = evaluation.execute_evaluation(evaluation_id, get_backend=engine_port.get_backend)
    except Exception as exc:  # outside the service's own handling (database, broker): never leave it "running"
        evaluation.mark_failed(evaluation_id, exc)
        raise
    return ev.state
