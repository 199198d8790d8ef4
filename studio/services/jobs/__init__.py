"""The lifecycle every background job shares (runs, evaluations, imports; see studio.models.jobs): queue its
task by name once the row is committed, claim it in the worker, fail it with a reason, cancel it, queue it
again when its worker vanished.

Tasks are named, never imported: services do not import studio.tasks (the tasks import the services), and
the routes in settings (CELERY_TASK_ROUTES) send each name to its queue.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.models.jobs import Job, JobState
from studio.services.refusals import UNAVAILABLE, Refusal

log = logging.getLogger(__name__)
State = JobState
ERROR_LIMIT = 10000


class QueueUnavailable(Refusal):
    """The job was created but its task could not be queued (the broker is down); the job is now failed.
    `job_id` names it. Services raise a subclass that is also their own refusal, so their callers show it."""

    def __init__(self, message: str, *, job_id: int | None = None):
        super().__init__(message, None, kind=UNAVAILABLE)
        self.job_id = job_id


def new_task_id() -> str:
    return str(uuid.uuid4())


def error_text(exc: BaseException) -> str:
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _noun(job: Job) -> str:
    return {"ElicitationRun": "run", "ImportJob": "import"}.get(type(job).__name__, type(job).__name__.lower())


def _broker_name() -> str:
    url = str(current_app.conf.broker_url or "")
    return "the task broker (Redis)" if url.startswith(("redis://", "rediss://")) else "the task broker"


def send(task_name: str, job_id: int, task_id: str | None = None) -> None:
    """Publish the task now (eagerly, in-process, when CELERY_TASK_ALWAYS_EAGER is set). Raises when the
    broker refuses."""
    if current_app.conf.task_always_eager:
        current_app.loader.import_default_modules()  # registers studio.tasks by discovery, not by import
        current_app.tasks[task_name].apply(args=[job_id], task_id=task_id)
        return
    current_app.send_task(task_name, args=[job_id], task_id=task_id)


def queue_after_commit(job: Job, task_name: str, *, refusal: type[QueueUnavailable] = QueueUnavailable) -> None:
    """Queue the job's task once the surrounding transaction commits (a worker must find the row). When the
    broker refuses, the job is failed with the reason and `refusal` is raised from the commit, so the caller
    that started it hears of it (with no outer transaction, that is at the end of the service's own
    `transaction.atomic()` block)."""
    if not job.celery_task_id:
        job.celery_task_id = new_task_id()
        type(job).objects.filter(pk=job.pk).update(celery_task_id=job.celery_task_id)
    transaction.on_commit(lambda: queue_now(job, task_name, refusal=refusal))


def unreachable_reason(noun: str, exc: BaseException) -> str:
    """Why a job's task could not be queued, for a person."""
    return f"could not queue the {noun}: {_broker_name()} is unreachable: {exc}"


def queue_now(job: Job, task_name: str, *, refusal: type[QueueUnavailable] = QueueUnavailable) -> None:
    try:
        send(task_name, job.pk, job.celery_task_id or None)
    except Exception as exc:
        log.exception("could not queue %s %s", _noun(job), job.pk)
        noun = _noun(job)
        reason = unreachable_reason(noun, exc)
        fail(type(job), job.pk, reason)
        job.refresh_from_db()
        raise refusal(f"{reason}. {noun.capitalize()} #{job.pk} was marked failed; start it again once the "
                      "broker is back.", job_id=job.pk) from exc


def claim(model: type[Job], job_id: int, *, states: Iterable[str] = (State.PENDING,), task_id: str = "",
          **values) -> bool:
    """Atomically move the job from one of `states` to running: attempts + 1, started_at (the first time),
    the delivering task's id. False when it is in no such state (finished, canceled, gone)."""
    now = timezone.now()
    if task_id:
        values["celery_task_id"] = task_id
    return bool(model.objects.filter(pk=job_id, state__in=list(states)).update(
        state=State.RUNNING, attempts=F("attempts") + 1, started_at=Coalesce(F("started_at"), now), **values))


def begin(job: Job, *, task_id: str = "") -> list[str]:
    """claim() for a row the caller already holds locked (select_for_update); returns the fields changed."""
    job.state = State.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.attempts += 1
    job.celery_task_id = task_id or job.celery_task_id
    return ["state", "started_at", "attempts", "celery_task_id"]


def finish(model: type[Job], job_id: int, state: str = State.COMPLETED, **values) -> bool:
    """Record the end of an unfinished job (completed, or failed with values such as error)."""
    return bool(model.objects.filter(pk=job_id, state__in=model.ACTIVE_STATES).update(
        state=state, finished_at=timezone.now(), **values))


def fail(model: type[Job], job_id: int, reason: str | BaseException, *, filters: dict | None = None,
         **values) -> bool:
    """Fail an unfinished job with a reason; never overwrite a finished one. `filters` narrow it further (the
    runs' lease: only while this worker holds it)."""
    if isinstance(reason, BaseException):
        reason = error_text(reason)
    qs = model.objects.filter(pk=job_id, state__in=model.ACTIVE_STATES, **(filters or {}))
    return bool(qs.update(state=State.FAILED, error=str(reason)[:ERROR_LIMIT], finished_at=timezone.now(),
                          **values))


def cancel(job: Job) -> list[str]:
    """Cancel a locked, unfinished job: a pending one ends at once (its task, when it arrives, finds it
    canceled and does nothing); a running one is left to its worker to stop. Returns the fields changed."""
    if job.state != State.PENDING:
        return []
    job.state = State.CANCELED
    job.finished_at = timezone.now()
    return ["state", "finished_at"]


def requeue(jobs: Iterable[tuple[int, str]], task_name: str) -> list[int]:
    """Queue again the tasks of jobs whose worker vanished, under their own task ids ((pk, task_id) pairs)."""
    sent = []
    for pk, task_id in jobs:
        send(task_name, pk, task_id or None)
        sent.append(pk)
    return sent
