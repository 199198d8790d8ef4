"""Starting an evaluation: its options checked against the dataset, a pending row, its task queued."""
from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from studio.models import Dataset, Evaluation
from studio.services import jobs

from .eligibility import choose_runs, default_calibration
from .errors import EvaluationRefused
from .options import validate_options

TASK = "studio.tasks.evaluation.run_evaluation"  # routed to the gpu queue by name (settings)


class EvaluationNotQueued(jobs.QueueUnavailable, EvaluationRefused):
    """The evaluation was created but the broker refused its task: it is failed, the message says so."""

def start_evaluation(dataset: Dataset, *, user=None, options: Mapping | None = None,
                     enqueue: bool = True) -> Evaluation:
    """Validate, record a pending Evaluation and enqueue its task on the `gpu` queue. One active
    evaluation per dataset: a second start while one is pending or running is refused. When the broker is
    down the evaluation is created failed (so it blocks no later start) and EvaluationNotQueued says so."""
    config = validate_options(dataset, options)
    if config["calibrate"] is None:
        config["calibrate"] = default_calibration(dataset, config)
    choose_runs(dataset, config)  # refuses a named run that is unknown or unfinished, before anything is written
    with transaction.atomic():
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()  # serialize concurrent starts
        active = Evaluation.objects.filter(dataset=dataset, state__in=Evaluation.ACTIVE_STATES).first()
        if active:
            raise EvaluationRefused(f"evaluation {active.pk} of this dataset is still {active.state}; wait for it to finish")
        ev = Evaluation.objects.create(dataset=dataset, config=config, celery_task_id=jobs.new_task_id(),
                                       created_by=user if user and user.is_authenticated else None)
        if enqueue:
            jobs.queue_after_commit(ev, TASK, refusal=EvaluationNotQueued)
    return ev
