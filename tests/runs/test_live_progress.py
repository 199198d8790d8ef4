"""Progress you can see before the first iteration (issue 26): a batch run in-process by execute_batch with the
bundled model (real PostgreSQL, the real engine and model; no Celery worker, so the test can look at the run's
live JSON from inside the model's scoring calls). Before the first scoring call the page already says the batch
is scoring its initial labels, with the expected token count; by the next call, still before iteration 1, its
tokens and seconds have accrued and its heartbeat is fresh."""
import pytest

from studio.models import ElicitationRun
from studio.services import engine_port, runs
from studio.services.runs.execution import execute_batch
from tests.support.datasets import make_sst2_dataset

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Watching:
    """The real backend; before each scoring call it reads the run's live JSON, as the page would."""

    def __init__(self, backend, run_id):
        self._backend, self._run_id, self.seen = backend, run_id, []

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def score_batch(self, prompts, label_words):
        self.seen.append(runs.live_snapshot(ElicitationRun.objects.get(pk=self._run_id)))
        return self._backend.score_batch(prompts, label_words)


def test_the_live_json_shows_initial_scoring_and_accruing_tokens_before_iteration_one(admin_user, monkeypatch):
    from celery import current_app

    monkeypatch.setattr(current_app, "send_task", lambda *a, **k: None)  # run in-process, not on a worker
    ds = make_sst2_dataset()
    # one iteration and no fill: everything asserted happens before iteration 1 (its scoring call is the second)
    run = runs.start_run(ds, user=admin_user, config={"iterations": 1, "initial_labels": 4, "scoring": "exact",
                                                      "checkpoint_every": 1, "fill": False})
    real, _ = engine_port.get_backend(model="smollm2", kind="hf", device="cpu")
    watching = Watching(real, run.pk)
    batch = run.batches.get()
    outcome = execute_batch(batch.pk, task_id="in-process", get_backend=lambda **kw: (watching, False))
    assert outcome.state == "completed", outcome.detail

    first, second = watching.seen[0], watching.seen[1]
    # before the first scoring call: the stage, in words, with the cost model's expectation
    assert first["state"] == "running" and first["iteration"] == 0 and first["tokens_used"] == 0
    [stage] = first["stages"]
    assert stage["phase"] == "initial" and stage["tokens_expected"] > 0
    assert stage["text"] == f"scoring the initial labels: 0 of ~{stage['tokens_expected']:,} tokens"
    assert first["heartbeat_age_s"] is not None and first["heartbeat_age_s"] < 30
    assert first["eta_seconds"] is None  # no pace before an iteration: "estimating…", not a guess
    # the next call: the initial labels are scored, iteration 1 has not happened, and the tokens show
    assert second["iteration"] == 0 and second["tokens_used"] > 0 and second["seconds_used"] > 0
    # the ETA leaves the initialization out: the batch records how long it took
    run.refresh_from_db()
    done = run.batches.get()
    assert 0 < done.summary["progress"]["initial_seconds"] <= done.seconds_used
