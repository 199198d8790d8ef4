"""Which worker process holds a job, and whether it is still alive: the lease of studio.services.jobs.

Redis re-delivers an unacknowledged task after its visibility timeout even when the first worker is only slow,
not dead. A delivery therefore takes a job over only when the holder's heartbeat is stale; otherwise it comes
back later to look again, so that a job is worked on by one process at a time and is never orphaned. Runs hold
leases today (they run for hours and resume from checkpoints); any Job can, with the same four calls: take,
renew (and the Heartbeat thread that renews), release, holder_alive.
"""
from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

from studio.env import env_int
from studio.models.jobs import Job


class LeaseLost(Exception):
    """Another worker took the job over (this one looked dead); stop without writing anything more."""


def heartbeat_seconds() -> int:
    return max(1, env_int("RUN_HEARTBEAT_SECONDS", 15))


def stale_after() -> timedelta:
    return timedelta(seconds=4 * heartbeat_seconds())


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_alive(job: Job, worker: str) -> bool:
    """True when another process holds the job and beat recently."""
    if not job.worker or job.worker == worker or job.heartbeat_at is None:
        return False
    return timezone.now() - job.heartbeat_at < stale_after()


def take(job: Job, worker: str) -> list[str]:
    """Give the lease of a job the caller holds locked to `worker`; returns the fields changed."""
    job.worker = worker
    job.heartbeat_at = timezone.now()
    return ["worker", "heartbeat_at"]


def renew(model: type[Job], job_id: int, worker: str, **fields) -> None:
    """Record liveness (and any progress fields) for a job this worker holds; LeaseLost when it no longer does."""
    updated = model.objects.filter(pk=job_id, worker=worker).update(heartbeat_at=timezone.now(), **fields)
    if not updated:
        raise LeaseLost(f"{model._meta.verbose_name} {job_id} is no longer held by {worker}")


def release(job: Job) -> list[str]:
    """End the lease of a job that is finishing (the caller holds it locked and saves): nobody holds it any
    more, so nobody waits on its heartbeat. `worker` stays as the record of who ran it."""
    job.heartbeat_at = None
    return ["heartbeat_at"]


class Heartbeat:
    """A background thread that renews the lease while the job works, even through a long model load."""

    def __init__(self, model: type[Job], job_id: int, worker: str):
        self.model, self.job_id, self.worker = model, job_id, worker
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-{job_id}-heartbeat", daemon=True)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(heartbeat_seconds()):
                try:
                    renew(self.model, self.job_id, self.worker)
                except LeaseLost:
                    self.lost.set()
                    return
                except Exception:  # a database hiccup: try again next beat
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
