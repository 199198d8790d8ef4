"""Real Celery worker processes (`celery worker`, solo pool) on a given database and Redis, for benchmarks and
the tests that need one. Needs `make install` only: no pytest here (tests/support/workers.py adds the fixtures)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 10  # seconds, for the workers started here (production: an hour)


def purge_broker() -> None:
    """Drop queued and unacknowledged messages left by an earlier session (they name runs of a dropped DB)."""
    from studio.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in ("gpu", "default"):
            try:
                channel.queue_purge(queue)
            except Exception:
                pass
        client = channel.client
        client.delete("unacked", "unacked_index", "unacked_mutex")


class Worker:
    """A real `celery worker` process (solo pool: SIGKILL takes the task down with it, as a dead GPU host would)."""

    def __init__(self, name: str, db_name: str, log_dir: Path, extra_env: dict | None = None, app: str = "studio"):
        from django.conf import settings

        # The configured server and credentials, with the test database's name.
        url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{db_name}").geturl()
        self.env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "HF_HUB_OFFLINE": "1",
                    "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT), "RUN_HEARTBEAT_SECONDS": "1", **(extra_env or {})}
        self.name = name
        self.app = app  # the Celery app module (benchmarks start one whose model is a stand-in)
        self.log_path = log_dir / f"runs-worker-{name}.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 120) -> Worker:
        return self.launch().wait_ready(timeout)

    def launch(self) -> Worker:
        """Start the process without waiting for it (start_all waits for several at once)."""
        celery = str(REPO_ROOT / ".venv" / "bin" / "celery")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [celery, "-A", self.app, "worker", "-Q", "gpu,default", "--concurrency", "1", "-P", "solo",
             "-n", f"{self.name}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=REPO_ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 120) -> Worker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited at start:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.3)
        raise RuntimeError(f"worker {self.name} not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, no goodbye: the message it holds stays unacknowledged in Redis."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        if self._log:
            self._log.close()


def start_all(workers: list[Worker], timeout: float = 120) -> list[Worker]:
    """Launch every worker, then wait until each is ready (they start side by side); stop them all on failure."""
    try:
        for w in workers:
            w.launch()
        for w in workers:
            w.wait_ready(timeout)
    except BaseException:
        for w in workers:
            w.stop()
        raise
    return workers
