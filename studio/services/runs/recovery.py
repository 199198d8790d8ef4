"""Batches left "running" by a worker that died and whose task no broker will deliver again.

Redis re-delivers an unacknowledged task after its visibility timeout, so there a dead worker's run comes back
by itself. The serverless filesystem broker of `make demo` does not, and a Redis that lost its data (no AOF) does
not either. A worker calls this when it starts: a run whose holder has been silent for longer than the broker
could still be keeping its task is queued again, and resumes from its checkpoint. A copy too many is harmless:
the lease lets one delivery work on a run, and a finished run ignores the rest.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from studio.models import RunBatch
from studio.services import jobs
from studio.services.jobs import lease

from .starting import TASK

log = logging.getLogger(__name__)


def orphan_age() -> timedelta:
    """How long a run's heartbeat must be silent before it counts as orphaned."""
    age = lease.stale_after()
    if str(getattr(settings, "CELERY_BROKER_URL", "")).startswith(("redis://", "rediss://")):
        visibility = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}).get("visibility_timeout", 3600)
        age += timedelta(seconds=visibility)  # Redis still holds the task until then and will hand it out itself
    return age


def requeue_orphaned_batches() -> list[int]:
    """Queue again every running batch whose worker went silent; returns their ids."""
    cutoff = timezone.now() - orphan_age()
    orphans = list(RunBatch.objects.filter(state=RunBatch.State.RUNNING, heartbeat_at__lt=cutoff)
                   .values_list("pk", "celery_task_id", "run_id", "index"))
    for _, _, run_id, index in orphans:
        log.warning("run %s batch %s: its worker went silent; queueing it again to resume from its checkpoint",
                    run_id, index)
    return jobs.requeue([(pk, task_id) for pk, task_id, _, _ in orphans], TASK)
