"""Runs on real Celery worker processes, against PostgreSQL and Redis, with the bundled model on real SST-2
sentences: progress while it runs, the result, batches on two workers at once, cancel, a failing model, and a
worker killed mid-batch."""
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


def _kinds(run):
    return dict(ElicitedLabel.objects.filter(run=run).values_list("example__external_id", "kind"))


def test_a_run_shows_progress_and_completes_with_every_example_labeled(start_worker, admin_user):
    worker = start_worker("complete")
    ds = make_sst2_dataset()
    run = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)

    # Progress rows appear while the run is still running.
    wait_for(lambda: _state(run) == "running" and RunEvent.objects.filter(run=run).exists(), 300,
             "progress events of a running run")
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 600, "the run to finish")
    assert run.state == "completed", run.error + worker.log()[-3000:]
    batch = run.batches.get()
    assert batch.state == "completed" and batch.attempts == 1 and batch.phase == "done"

    labels = ElicitedLabel.objects.filter(run=run)
    assert labels.count() == 8
    assert set(labels.values_list("example__dataset", flat=True)) == {ds.pk}
    # fill (on by default) labels what the 4-iteration search left: every example has a label, of its kind
    kinds = _kinds(run)
    assert set(kinds.values()) <= {"elicited", "filled"} and labels.filter(label=None).count() == 0
    elicited = sum(1 for k in kinds.values() if k == "elicited")
    assert elicited >= FAST_CONFIG["initial_labels"]
    assert batch.unlabeled_after_search == batch.filled_count == 8 - elicited
    assert run.summary["label_counts"]["filled"] == 8 - elicited and run.labeled_count == 8
    events = list(RunEvent.objects.filter(run=run).values_list("iteration", flat=True))
    assert events == sorted(set(events)) and events[-1] == run.iteration == FAST_CONFIG["iterations"]
    assert RunEvent.objects.filter(run=run).exclude(accuracy=None).exists()  # accuracy against gold, per event
    assert run.tokens_used > 0 and run.seconds_used > 0 and run.finished_at
    assert run.summary["accuracy_vs_gold"]["elicited"]["n"] == elicited
    assert batch.summary["model_load"]["reused"] is False
    # its labels joined the review tallies in the same transaction as the state change
    assert not tallies.check(ds)
    assert tallies.split_cells(ds.pk, None).n((tallies.Kind.RUN, run.pk)) == run.labeled_count

    # A later run of the same model on this worker reuses the loaded model.
    second = runs.start_run(ds, user=admin_user, config={**FAST_CONFIG, "iterations": 0, "seed": 1,
                                                         "calibrate": "none"})
    wait_for(lambda: _state(second) in ElicitationRun.FINISHED_STATES, 600, "the second run to finish")
    assert second.state == "completed", second.error
    second_batch = second.batches.get()
    assert second_batch.summary["model_load"]["reused"] is True
    assert worker.log().count("loading model smollm2") == 1
    # calibrate=none: the engine's scores are raw log-odds, yet the stored ones are centered on the search's
    # labels (mean 0), each the raw one minus the batch's recorded center (studio.services.runs.results)
    assert second_batch.summary["search"]["calibration_offset"] == 0.0
    center, raw = second_batch.summary["score_center"], second_batch.checkpoint["scores"]
    elicited = dict(ElicitedLabel.objects.filter(run=second, kind="elicited").values_list("example_id", "score"))
    assert len(elicited) == FAST_CONFIG["initial_labels"] and abs(sum(elicited.values())) < 1e-9
    assert center == pytest.approx(sum(raw[str(pk)] for pk in elicited) / len(elicited))
    assert all(score == pytest.approx(raw[str(pk)] - center) for pk, score in elicited.items())


def _both_running_on_two_workers(run):
    rows = list(run.batches.values_list("state", "phase", "worker"))
    return (all(state == "running" and phase == "searching" for state, phase, _ in rows)
            and len({w for *_, w in rows}) == len(rows))


def test_two_batches_run_on_two_workers_at_the_same_time(start_worker, admin_user):
    start_worker("left")
    start_worker("right")
    ds = make_sst2_dataset(name="Sixteen", n=16)
    run = runs.start_run(ds, user=admin_user, batch_size=8, config={**FAST_CONFIG, "iterations": 8})
    assert run.batches.count() == 2
    wait_for(lambda: _both_running_on_two_workers(run), 480, "both batches searching on two workers at once")
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 900, "the run to finish")
    assert run.state == "completed", run.error
    assert sorted(run.batches.values_list("state", flat=True)) == ["completed", "completed"]
    labels = ElicitedLabel.objects.filter(run=run)
    assert labels.count() == 16 and labels.filter(label=None).count() == 0
    assert sorted(set(labels.values_list("batch", flat=True))) == [0, 1]
    assert set(RunEvent.objects.filter(run=run).values_list("batch", flat=True)) == {0, 1}


def test_cancel_stops_every_batch_and_keeps_the_labels_so_far(start_worker, admin_user):
    """One worker, two batches: the running one stops at its next iteration with its checkpoint, the waiting
    one never starts."""
    start_worker("cancel")
    ds = make_sst2_dataset(name="Sixteen", n=16)
    run = runs.start_run(ds, user=admin_user, batch_size=8, config={**FAST_CONFIG, "iterations": 500})
    wait_for(lambda: _state(run) == "running" and run.iteration >= 1, 480, "the run to pass iteration 1")
    runs.cancel_run(run, user=admin_user)
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 300, "the canceled run to stop")
    assert run.state == "canceled"
    running, waiting = sorted(run.batches.all(), key=lambda b: -b.iteration)
    assert running.state == waiting.state == "canceled"
    assert 1 <= running.iteration < 500 and running.checkpoint is not None
    assert waiting.iteration == 0 and waiting.attempts == 0
    kept = ElicitedLabel.objects.filter(run=run, batch=running.index)
    assert kept.count() == 8 and kept.exclude(label=None).count() >= FAST_CONFIG["initial_labels"]
    assert not kept.filter(kind="filled").exists()  # a canceled search is not filled


def test_a_model_that_does_not_exist_fails_the_run_naming_the_batch(start_worker, admin_user):
    start_worker("failing")
    ds = make_sst2_dataset()
    missing = str(settings.STUDIO_MODELS_DIR / "does-not-exist")  # allowed where it would be, but not there
    run = runs.start_run(ds, user=admin_user, model=missing, config=FAST_CONFIG)
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 180, "the run to fail")
    assert run.state == "failed"
    assert run.error.startswith("batch 0 (of 1) failed: ") and missing in run.error
    assert run.finished_at and not ElicitedLabel.objects.filter(run=run).exists()


def test_a_worker_killed_mid_batch_loses_nothing(start_worker, admin_user):
    """Two batches on two workers; SIGKILL one worker in the middle of its batch. Redis gives its task out again
    (visibility timeout 10 s here) to a live worker, which resumes the batch from its checkpoint; the run ends
    with the labels of an uninterrupted run."""
    first = start_worker("first")
    other = start_worker("other")
    ds = make_sst2_dataset(name="Sixteen", n=16)
    config = {**FAST_CONFIG, "iterations": 6}
    reference = runs.start_run(ds, user=admin_user, batch_size=8, config=config)
    wait_for(lambda: _state(reference) in ElicitationRun.FINISHED_STATES, 900, "the reference run")
    assert reference.state == "completed", reference.error

    run = runs.start_run(ds, user=admin_user, batch_size=8, config=config)  # same seed, same everything

    def victim_batch():
        """The first worker's batch, once it has a checkpoint past iteration 2."""
        held = run.batches.filter(state="running", worker__endswith=f":{first.proc.pid}").first()
        return held if held and (held.checkpoint or {}).get("iteration", 0) >= 2 else None

    wait_for(victim_batch, 600, "the first worker's batch to checkpoint past iteration 2")
    first.kill()
    victim = victim_batch()
    killed_at = victim.iteration
    assert victim.state == "running" and killed_at < config["iterations"]

    # Redis hands the unacknowledged task out again once it is older than the visibility timeout; a worker
    # sweeps for such tasks when it starts (and every ~100 s after), so start the new one past that age.
    wait_for(lambda: (timezone.now() - victim.started_at).total_seconds() > VISIBILITY_TIMEOUT + 1, 60,
             "the task to pass the visibility timeout")
    second = start_worker("second")
    wait_for(lambda: _state(run) in ElicitationRun.FINISHED_STATES, 900, "the resumed run to finish")
    assert run.state == "completed", run.error
    victim.refresh_from_db()
    assert victim.attempts == 2
    # whichever live worker Redis handed the task to (the idle "other" may take it before "second" starts)
    resumed_from = re.search(rf"batch {victim.index} of run {run.pk}: resuming after a lost worker \(\S+\) from "
                             r"iteration (\d+)", second.log() + other.log())
    assert resumed_from and 2 <= int(resumed_from.group(1)) <= killed_at
    assert _labels(run) == _labels(reference) and _kinds(run) == _kinds(reference)
    assert ElicitedLabel.objects.filter(run=run).count() == 16
    # The replayed iterations did not leave duplicate points on the curves.
    events = list(RunEvent.objects.filter(run=run, batch=victim.index).values_list("iteration", flat=True))
    assert events == sorted(set(events))
