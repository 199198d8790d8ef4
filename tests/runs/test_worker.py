"""Runs on real Celery worker processes, against PostgreSQL and Redis, with the bundled model on real SST-2
sentences: progress while it runs, the result, cancel, a failing model, and a worker killed mid-run."""
import re

import pytest
from django.conf import settings
from django.utils import timezone

from studio.models import ElicitationRun, ElicitedLabel, RunEvent
from studio.services import runs, tallies
from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG, VISIBILITY_TIMEOUT
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _state(run):
    run.refresh_from_db()
    return run.state


def _labels(run):
    return dict(ElicitedLabel.objects.filter(run=run).values_list("example__external_id", "label"))


def test_a_run_shows_progress_and_completes_with_one_label_per_example(start_worker, admin_user):
    worker = start_worker("complete")
    ds = make_sst2_dataset()
    run = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)

    # Progress rows appear while the run is still running.
    wait_for(lambda: _state(run) == "running" and RunEvent.objects.filter(run=run).exists(), 300,
             "progress events of a running run")
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 600, "the run to finish")
    assert run.state == "completed", run.error + worker.log()[-3000:]

    labels = ElicitedLabel.objects.filter(run=run)
    assert labels.count() == 8
    assert set(labels.values_list("example__dataset", flat=True)) == {ds.pk}
    assert labels.exclude(label=None).count() == run.labeled_count >= FAST_CONFIG["initial_labels"]
    events = list(RunEvent.objects.filter(run=run).values_list("iteration", flat=True))
    assert events == sorted(set(events)) and events[-1] == run.iteration == FAST_CONFIG["iterations"]
    assert RunEvent.objects.filter(run=run).exclude(accuracy=None).exists()  # accuracy against gold, per event
    assert run.tokens_used > 0 and run.seconds_used > 0 and run.finished_at and run.attempts == 1
    assert run.summary["accuracy_vs_gold"] is not None
    assert run.summary["model_load"]["reused"] is False
    # its labels joined the review tallies in the same transaction as the state change
    assert not tallies.check(ds)
    assert tallies.split_cells(ds.pk, None).n((tallies.Kind.RUN, run.pk)) == run.labeled_count

    # A later run of the same model on this worker reuses the loaded model.
    second = runs.start_run(ds, user=admin_user, config={**FAST_CONFIG, "iterations": 0, "seed": 1})
    wait_for(lambda: _state(second) in ElicitationRun.FINISHED_STATES, 600, "the second run to finish")
    assert second.state == "completed", second.error
    assert second.summary["model_load"]["reused"] is True
    assert worker.log().count("loading model smollm2") == 1


def test_cancel_stops_the_run_and_keeps_its_labels_so_far_and_its_checkpoint(start_worker, admin_user):
    start_worker("cancel")
    ds = make_sst2_dataset()
    run = runs.start_run(ds, user=admin_user, config={**FAST_CONFIG, "iterations": 500})
    wait_for(lambda: _state(run) == "running" and run.iteration >= 1, 480, "the run to pass iteration 1")
    runs.cancel_run(run, user=admin_user)
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 300, "the canceled run to stop")
    assert run.state == "canceled"
    assert run.iteration < 500 and run.checkpoint is not None
    labels = ElicitedLabel.objects.filter(run=run)
    assert labels.count() == 8 and labels.exclude(label=None).count() >= FAST_CONFIG["initial_labels"]


def test_a_model_that_does_not_exist_fails_the_run_with_that_message(start_worker, admin_user):
    start_worker("failing")
    ds = make_sst2_dataset()
    missing = str(settings.STUDIO_MODELS_DIR / "does-not-exist")  # allowed where it would be, but not there
    run = runs.start_run(ds, user=admin_user, model=missing, config=FAST_CONFIG)
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 180, "the run to fail")
    assert run.state == "failed"
    assert missing in run.error
    assert run.finished_at and not ElicitedLabel.objects.filter(run=run).exists()


def test_a_worker_killed_mid_run_loses_nothing(start_worker, admin_user):
    """SIGKILL the worker in the middle of a run; a new worker gets the task again from Redis (visibility timeout
    10 s here), resumes from the run's checkpoint and ends with the labels of an uninterrupted run."""
    first = start_worker("first")
    ds = make_sst2_dataset()
    reference = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)
    wait_for(lambda: _state(reference) in ElicitationRun.FINISHED_STATES, 600, "the reference run")
    assert reference.state == "completed", reference.error

    run = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)  # same seed, same everything
    wait_for(lambda: _state(run) == "running" and run.checkpoint and run.iteration >= 2, 480,
             "a checkpoint past iteration 2")
    first.kill()
    run.refresh_from_db()
    killed_at = run.iteration
    assert run.state == "running" and killed_at < FAST_CONFIG["iterations"]

    # Redis hands the unacknowledged task out again once it is older than the visibility timeout; a worker
    # sweeps for such tasks when it starts (and every ~100 s after), so start the new one past that age.
    wait_for(lambda: (timezone.now() - run.started_at).total_seconds() > VISIBILITY_TIMEOUT + 1, 60,
             "the task to pass the visibility timeout")
    second = start_worker("second")
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 600, "the resumed run to finish")
    assert run.state == "completed", run.error
    assert run.attempts == 2
    resumed_from = re.search(rf"run {run.pk}: resuming after a lost worker \(\S+\) from iteration (\d+)",
                             second.log())
    assert resumed_from and 2 <= int(resumed_from.group(1)) <= killed_at
    assert _labels(run) == _labels(reference)
    scores = dict(ElicitedLabel.objects.filter(run=run).values_list("example__external_id", "score"))
    ref_scores = dict(ElicitedLabel.objects.filter(run=reference).values_list("example__external_id", "score"))
    assert scores.keys() == ref_scores.keys()
    assert ElicitedLabel.objects.filter(run=run).count() == 8
    # The replayed iterations did not leave duplicate points on the curves.
    events = list(RunEvent.objects.filter(run=run).values_list("iteration", flat=True))
    assert events == sorted(set(events))
