"""Real Celery worker processes against the test database and Redis, for the tests that need one."""
from __future__ import annotations

import pytest

# the worker process harness lives with the benchmarks (which must not import pytest or tests/)
from benchmarks._support.workers import VISIBILITY_TIMEOUT, Worker, purge_broker  # noqa: F401

# Small settings for the real model on 2 shared CPU cores: a run of 8 examples takes tens of seconds.
FAST_CONFIG = {"iterations": 4, "initial_labels": 4, "checkpoint_every": 1}


def require_redis_and_postgres() -> None:
    """Skip the calling test unless it runs on PostgreSQL and Redis (as in CI): a worker needs both."""
    from django.conf import settings

    if not settings.REDIS_URL or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("worker tests need DATABASE_URL (PostgreSQL) and REDIS_URL set, as in CI")


@pytest.fixture
def start_worker(transactional_db, artifacts_dir):
    """start_worker(name) → a ready Worker on the test database; every worker is stopped at the end."""
    from django.db import connection

    require_redis_and_postgres()
    purge_broker()
    db_name = connection.settings_dict["NAME"]
    started: list[Worker] = []

    def start(name: str = "w1", **extra_env) -> Worker:
        worker = Worker(name, db_name, artifacts_dir, extra_env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    purge_broker()


@pytest.fixture
def import_worker(transactional_db, artifacts_dir, tmp_path, settings):
    """A real worker for imports, sharing the test's media folder (where queued uploads wait for it)."""
    from django.db import connection

    require_redis_and_postgres()
    settings.MEDIA_ROOT = tmp_path / "media"  # the worker's STUDIO_VAR_DIR/media
    purge_broker()
    worker = Worker("imports", connection.settings_dict["NAME"], artifacts_dir,
                    {"STUDIO_VAR_DIR": str(tmp_path)}).start()
    yield worker
    worker.stop()
    purge_broker()
