"""Which worker process holds a run, and whether it is still alive.

Redis re-delivers an unacknowledged task after its visibility timeout even when the first worker is only slow,
not dead. A delivery therefore takes a run over only when the holder's heartbeat is stale; otherwise it comes
back later to look again, so that a run is worked on by one process at a time and is never orphaned.
"""
from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

from studio.env import env_int
from studio.models import ElicitationRun


class LeaseLost(Exception):
    """Another worker took the run over (this one looked dead); stop without writing anything more."""


def heartbeat_seconds() -> int:
    return max(1, env_int("RUN_HEARTBEAT_SECONDS", 15))


def stale_after() -> timedelta:
    return timedelta(seconds=4 * heartbeat_seconds())


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_alive(run: ElicitationRun, worker: str) -> bool:
    """True when another process holds the run and beat recently."""
    if not run.worker or run.worker == worker or run.heartbeat_at is None:
        return False
    return timezone.now() - run.heartbeat_at < stale_after()


def beat(run_id: int, worker: str, **fields) -> None:
    """Record liveness (and any progress fields) for a run this worker holds."""
    updated = ElicitationRun.objects.filter(pk=run_id, worker=worker).update(heartbeat_at=timezone.now(), **fields)
    if not updated:
        raise LeaseLost(f"run {run_id} is no longer held by {worker}")


class Heartbeat:
    """A background thread that beats while the engine works, even through a long model load or iteration."""

    def __init__(self, run_id: int, worker: str):
        self.run_id, self.worker = run_id, worker
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"run-{run_id}-heartbeat", daemon=True)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(heartbeat_seconds()):
                try:
                    beat(self.run_id, self.worker)
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
