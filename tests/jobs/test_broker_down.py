"""Starting a job while the task broker is down: a run (API), an evaluation (review page) and an import (API)
each answer with a clear error and leave their job failed with the reason, never pending; once the broker is
back the same start succeeds and its message waits in the broker's queue.

The broker is a private `redis-server` on a free loopback port, stopped and started again on the same port,
so the shared Redis the other tests use is never touched."""
from __future__ import annotations

import io
import json
import socket
import subprocess
import time

import pytest
from rest_framework.test import APIClient

from studio.models import ElicitationRun, Evaluation, Example, ImportJob
from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG, require_redis_and_postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A throwaway redis-server on 127.0.0.1 (no persistence), which the test stops and starts."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def queued_task_ids(self, queue: str) -> list[str]:
        return [json.loads(raw)["headers"]["id"] for raw in self.client().lrange(queue, 0, -1)]


def _reset_broker_connections(app) -> None:
    """Drop the app's pooled broker connections so the next publish connects to the broker now configured."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools per broker URL in a global registry; the one for the URL restored afterwards
    # would still hold the closed connections ("Acquire on closed pool" in every later test that queues).
    pools.reset()


@pytest.fixture
def broker(transactional_db, settings):
    """The Celery app publishes to a private Redis for this test; the usual broker is restored after."""
    from studio.celery import app

    require_redis_and_postgres()
    server = PrivateRedis()
    server.start()
    before = app.conf.broker_url
    settings.CELERY_BROKER_URL = server.url
    app.conf.broker_url = server.url
    _reset_broker_connections(app)
    yield server
    server.stop()
    app.conf.broker_url = before
    _reset_broker_connections(app)


@pytest.fixture
def dataset(transactional_db):
    """Eight SST-2 sentences with gold: the first four in train, the rest in test."""
    ds = make_sst2_dataset(n=8)
    Example.objects.filter(dataset=ds, position__gte=4).update(split="test")
    return ds


@pytest.fixture
def admin(transactional_db, django_user_model):
    return django_user_model.objects.create_user("boss", password="pw", is_staff=True, is_superuser=True)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _assert_failed_with_reason(job, noun: str) -> None:
    job.refresh_from_db()
    assert job.state == "failed" and job.finished_at is not None
    assert job.error.startswith(f"could not queue the {noun}: the task broker (Redis) is unreachable: "), job.error


def test_starting_a_run_while_the_broker_is_down_fails_it_and_says_so(broker, dataset, admin):
    client = _api(admin)
    start = {"dataset": dataset.pk, "split": "train", "config": FAST_CONFIG}
    broker.stop()
    refused = client.post("/api/runs/", start, format="json")
    assert refused.status_code == 503, refused.content
    run = ElicitationRun.objects.get()
    detail = refused.json()["detail"]
    assert "broker (Redis) is unreachable" in detail and f"Run #{run.pk} was marked failed" in detail
    _assert_failed_with_reason(run, "run")

    broker.start()
    started = client.post("/api/runs/", start, format="json")
    assert started.status_code == 201, started.content
    again = ElicitationRun.objects.get(pk=started.json()["id"])
    assert again.state == "pending" and again.error == ""
    assert broker.queued_task_ids("gpu") == [b.celery_task_id for b in again.batches.all()]


def test_starting_an_evaluation_while_the_broker_is_down_fails_it_and_frees_the_dataset(broker, dataset, admin,
                                                                                       client):
    client.force_login(admin)
    url = f"/review/{dataset.slug}/evaluations/"
    options = {"train_split": "train", "test_split": "test", "max_demos": 2}
    broker.stop()
    page = client.post(url, options, follow=True)
    ev = Evaluation.objects.get()
    text = page.content.decode()
    assert "Evaluation not started" in text and "unreachable" in text and f"Evaluation #{ev.pk} was marked failed" in text
    _assert_failed_with_reason(ev, "evaluation")

    broker.start()
    page = client.post(url, options, follow=True)
    again = Evaluation.objects.exclude(pk=ev.pk).get()  # the failed one did not block this start
    assert f"Evaluation {again.pk} queued" in page.content.decode()
    assert again.state == "pending"
    assert broker.queued_task_ids("gpu") == [again.celery_task_id]


def test_uploading_an_import_while_the_broker_is_down_fails_it_and_says_so(broker, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = _api(admin)
    rows = "\n".join(json.dumps({"uid": f"r{i}", "review": f"review {i}", "gold": i % 2}) for i in range(4))

    def upload():
        f = io.BytesIO(rows.encode())
        f.name = "reviews.jsonl"
        return client.post("/api/imports/", {"file": f, "name": "Uploaded reviews", "format": "jsonl",
                                             "mapping": json.dumps({"id": "uid", "text": "review", "label": "gold"})},
                           format="multipart")

    broker.stop()
    refused = upload()
    assert refused.status_code == 503, refused.content
    job = ImportJob.objects.get()
    assert "unreachable" in refused.json()["detail"] and f"Import #{job.pk} was marked failed" in refused.json()["detail"]
    _assert_failed_with_reason(job, "import")
    assert not job.upload  # a finished job keeps no upload

    broker.start()
    started = upload()
    assert started.status_code == 202, started.content
    again = ImportJob.objects.get(pk=started.json()["id"])
    assert again.state == "pending"
    assert broker.queued_task_ids("default") == [again.celery_task_id]


def _start_form(dataset) -> dict:
    """The start page's form as an admin submits it: the engine's defaults, the fast test settings."""
    from elicitation import ICMConfig

    data = {"dataset": dataset.pk, "split": "train", "subset": "all", "sample_seed": 0, "model": "smollm2",
            "backend": "hf", "device": "auto", "base_url": ""}
    for name, value in ICMConfig().to_dict().items():
        if name != "label_words":
            data[f"cfg_{name}"] = "" if name in ("calibrate", "scoring") else value
    data.update({f"cfg_{k}": v for k, v in FAST_CONFIG.items()})
    return {k: v for k, v in data.items() if v is not False and v is not None}


def test_the_start_page_shows_the_broker_error_and_starts_once_it_is_back(broker, dataset, admin, client):
    client.force_login(admin)
    broker.stop()
    page = client.post("/runs/start/", _start_form(dataset))
    run = ElicitationRun.objects.get()
    assert page.status_code == 200
    text = page.content.decode()
    assert "broker (Redis) is unreachable" in text and f"Run #{run.pk} was marked failed" in text
    _assert_failed_with_reason(run, "run")

    broker.start()
    page = client.post("/runs/start/", _start_form(dataset))
    again = ElicitationRun.objects.exclude(pk=run.pk).get()
    assert page.status_code == 302 and page["Location"] == f"/runs/{again.pk}/"
    assert broker.queued_task_ids("gpu") == [b.celery_task_id for b in again.batches.all()]
