"""Starting and cancelling runs through the service the admin, the studio page and the API share
(no worker here: these check what is recorded and what is refused)."""
import pytest
from django.db import IntegrityError

from studio.models import ElicitationRun, HumanLabel, RunBatch
from studio.services import runs
from studio.services.runs import starting

from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db


def test_a_started_run_records_its_configuration(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    assert run.state == "pending" and run.created_by == admin_user
    assert [(b.index, b.example_count, b.state) for b in run.batches.all()] == [(0, 8, "pending")]
    assert run.batches.get().celery_task_id and run.batch_size == 256
    assert run.model == "smollm2" and run.backend == "hf" and run.subset == "all"
    assert run.example_count == 8 and len(run.example_ids) == 8
    assert list(runs.run_examples(run).values_list("position", flat=True)) == list(range(8))
    from elicitation import ICMConfig

    defaults = ICMConfig().to_dict()
    assert set(run.config) == set(defaults)  # every hyperparameter is recorded, not only the overrides
    assert run.config["iterations"] == FAST_CONFIG["iterations"] and run.config["alpha"] == defaults["alpha"]
    assert list(run.config["label_words"]) == [" True", " False"]
    # The bundled model defaults to centered calibration, and the run says so.
    assert run.config["calibrate"] == "center"
    assert any("calibrate=center" in note for note in run.summary["defaults_applied"])
    assert not run.uses_gold_derived_metadata


def test_an_optional_hyperparameter_takes_a_number_or_stays_unset(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "max_demos": "3"})
    assert run.config["max_demos"] == 3
    other = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "max_demos": "", "seed": 2})
    assert other.config["max_demos"] is None


def test_a_fold_placement_is_one_of_the_engines_words(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "fold_placement": "arrival"})
    assert run.config["fold_placement"] == "arrival"
    with pytest.raises(runs.RunRefused, match="fold_placement") as refused:
        runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "fold_placement": "sideways", "seed": 3})
    assert "stable" in str(refused.value)


def test_fill_is_on_by_default_and_recorded(sst2_dataset, admin_user):
    assert runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG).config["fill"] is True
    off = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "fill": False, "seed": 1})
    assert off.config["fill"] is False


def test_a_run_is_cut_into_batches_of_whole_groups_deterministically(admin_user):
    """Forty sentences in batches of 16: three batches (14, 13, 13), every example in exactly one, the same
    cut for the same seed, another for another seed; each batch has its own derived seed."""
    ds = make_sst2_dataset(name="Forty", n=40)
    one = runs.start_run(ds, user=admin_user, batch_size=16, config=FAST_CONFIG)
    batches = list(one.batches.all())
    assert sorted(b.example_count for b in batches) == [13, 13, 14]
    assert sorted(pk for b in batches for pk in b.example_ids) == sorted(one.example_ids)
    assert len({b.seed for b in batches}) == 3
    runs.cancel_run(one, user=admin_user)
    again = runs.start_run(ds, user=admin_user, batch_size=16, config=FAST_CONFIG)
    assert [b.example_ids for b in again.batches.all()] == [b.example_ids for b in batches]
    other = runs.start_run(ds, user=admin_user, batch_size=16, config={**FAST_CONFIG, "seed": 5})
    assert [b.example_ids for b in other.batches.all()] != [b.example_ids for b in batches]


@pytest.mark.parametrize("batch_size", [0, -3, "ten", 10**6, True])
def test_a_bad_batch_size_is_refused_and_nothing_is_created(sst2_dataset, admin_user, batch_size):
    with pytest.raises(runs.RunRefused, match="batch_size: a whole number of examples from 1 to 100000") as refused:
        runs.start_run(sst2_dataset, user=admin_user, batch_size=batch_size, config=FAST_CONFIG)
    assert refused.value.field == "batch_size"
    assert not ElicitationRun.objects.exists() and not RunBatch.objects.exists()


def test_too_few_iterations_get_a_coverage_warning_naming_how_many_would_do(admin_user):
    ds = make_sst2_dataset(name="Forty", n=40)
    short = runs.start_run(ds, user=admin_user, batch_size=20, config=FAST_CONFIG)  # 4 iterations, 20 per batch
    warning = short.summary["coverage"]["warning"]
    assert warning.startswith("4 iterations are too few to visit every example of 2 of 2 batches")
    assert "about 68 would" in warning  # 20·H_20 ≈ 72 draws from none labeled; 4 of 20 start labeled
    enough = runs.start_run(ds, user=admin_user, batch_size=20, config={**FAST_CONFIG, "iterations": 100})
    assert enough.summary["coverage"]["warning"] is None


def test_an_explicit_calibration_is_kept(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "calibrate": "none"})
    assert run.config["calibrate"] == "none"
    assert "defaults_applied" not in run.summary


def test_starting_the_same_configuration_twice_is_refused(sst2_dataset, admin_user):
    first = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    with pytest.raises(runs.RunRefused) as refused:
        runs.start_run(sst2_dataset, user=admin_user, config=dict(FAST_CONFIG))
    assert f"Run #{first.pk} with this configuration is already pending" in str(refused.value)
    assert ElicitationRun.objects.count() == 1
    # Another seed is another run; and once the first is canceled the same configuration may start again.
    runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "seed": 1})
    runs.cancel_run(first, user=admin_user)
    again = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    assert again.fingerprint == first.fingerprint and again.pk != first.pk


def test_a_race_past_the_check_is_refused_by_the_database(sst2_dataset, admin_user, monkeypatch):
    first = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    answers = iter([None, first])  # the pre-check misses it (a concurrent start); the constraint catches it
    monkeypatch.setattr(starting, "_active_duplicate", lambda fp: next(answers))
    with pytest.raises(runs.RunRefused, match=f"Run #{first.pk}"):
        runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    assert ElicitationRun.objects.count() == 1


def test_the_database_itself_allows_one_active_run_per_configuration(sst2_dataset, admin_user):
    first = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    with pytest.raises(IntegrityError):
        ElicitationRun.objects.create(dataset=sst2_dataset, fingerprint=first.fingerprint, state="running")


@pytest.mark.parametrize("kwargs, message", [
    ({"config": {"iterations": "many"}}, "config field 'iterations': expected an integer, got 'many'"),
    ({"config": {"alhpa": 3}}, "config field 'alhpa' is not an engine hyperparameter"),
    ({"config": {"schedule": "linear"}}, "config field 'schedule': 'linear' is not one of log, paper"),
    ({"config": {"checkpoint_every": 0}}, "config field 'checkpoint_every': must be >= 1"),
    ({"config": {"max_demos": "some"}}, "config field 'max_demos': expected an integer, got 'some'"),
    ({"subset": "sample"}, "sample_size: a random sample needs a size of at least 1"),
    ({"subset": "sample", "sample_size": 9}, "sample_size: 9 is more than the 8 examples"),
    ({"subset": "human_labeled"}, "has no examples with human labels to label"),
    ({"split": "test"}, "split 'test' has no examples in SST-2 dev sample (its splits: train)"),
    ({"subset": "everything"}, "subset 'everything' is not one of all, sample, human_labeled"),
    ({"backend": "openai"}, "base_url: the OpenAI-compatible backend needs an http(s) URL"),
    ({"backend": "vllm", "device": "cpu"}, "the vllm backend runs on GPU workers only"),
    ({"device": "tpu"}, "device 'tpu' is not one of auto, cpu, cuda"),
])
def test_bad_values_are_refused_naming_the_field_and_nothing_is_created(sst2_dataset, admin_user, kwargs, message):
    with pytest.raises(runs.RunRefused) as refused:
        runs.start_run(sst2_dataset, user=admin_user, **kwargs)
    assert message in str(refused.value)
    assert not ElicitationRun.objects.exists()


def test_only_admins_start_and_cancel_runs(sst2_dataset, admin_user, django_user_model):
    person = django_user_model.objects.create_user("ann", password="x-pass-123")
    with pytest.raises(runs.RunRefused, match="only admins start runs"):
        runs.start_run(sst2_dataset, user=person)
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    with pytest.raises(runs.RunRefused, match="only admins cancel runs"):
        runs.cancel_run(run, user=person)
    run.refresh_from_db()
    assert run.state == "pending" and not run.cancel_requested


def test_a_seeded_sample_is_reproducible_and_kept_in_dataset_order(admin_user):
    ds = make_sst2_dataset(n=16)
    a = runs.start_run(ds, user=admin_user, subset="sample", sample_size=5, sample_seed=3, config=FAST_CONFIG)
    runs.cancel_run(a, user=admin_user)
    b = runs.start_run(ds, user=admin_user, subset="sample", sample_size=5, sample_seed=3, config=FAST_CONFIG)
    c = runs.start_run(ds, user=admin_user, subset="sample", sample_size=5, sample_seed=4, config=FAST_CONFIG)
    assert a.example_ids == b.example_ids != c.example_ids
    positions = list(runs.run_examples(a).values_list("position", flat=True))
    assert len(positions) == 5 and positions == sorted(positions)


def test_the_human_labeled_subset_is_frozen_when_the_run_starts(sst2_dataset, admin_user, django_user_model):
    person = django_user_model.objects.create_user("ann", password="x-pass-123")
    examples = list(sst2_dataset.examples.order_by("position"))
    for ex in examples[:3]:
        HumanLabel.objects.create(example=ex, annotator=person, label=True)
    run = runs.start_run(sst2_dataset, user=admin_user, subset="human_labeled", config=FAST_CONFIG)
    HumanLabel.objects.create(example=examples[5], annotator=person, label=False)
    assert list(runs.run_examples(run)) == examples[:3]


def test_a_run_on_gold_derived_metadata_is_marked(admin_user):
    ds = make_sst2_dataset(name="Leaky keys", gold_derived_metadata=True)
    run = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)
    assert run.uses_gold_derived_metadata


def test_cancelling_a_pending_run_ends_it_at_once_and_a_finished_run_cannot_be_cancelled(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    run = runs.cancel_run(run, user=admin_user)
    assert run.state == "canceled" and run.cancel_requested and run.finished_at
    assert run.summary["canceled_by"] == "boss"
    assert list(run.batches.values_list("state", flat=True)) == ["canceled"]
    with pytest.raises(runs.RunRefused, match=f"Run #{run.pk} has already canceled"):
        runs.cancel_run(run, user=admin_user)


def test_the_task_is_queued_when_the_run_is_committed(sst2_dataset, admin_user, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    from celery import current_app

    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, task_id: sent.append((name, args, task_id)))
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    assert sent == [("studio.tasks.elicitation.run_batch", [b.pk], b.celery_task_id) for b in run.batches.all()]


def test_a_broker_that_cannot_be_reached_fails_the_run_with_the_reason(sst2_dataset, admin_user, monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    from celery import current_app

    def unreachable(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", unreachable)
    with pytest.raises(runs.RunRefused, match="unreachable") as refused:
        with django_capture_on_commit_callbacks(execute=True):
            runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    run = ElicitationRun.objects.get(pk=refused.value.job_id)
    assert refused.value.kind == "unavailable" and f"Run #{run.pk} was marked failed" in refused.value.message
    assert run.state == "failed"
    assert run.error.startswith("could not queue the run: the task broker (Redis) is unreachable: Error 111")
    assert list(run.batches.values_list("state", flat=True)) == ["failed"]


def test_a_starting_worker_queues_again_a_batch_whose_worker_went_silent(sst2_dataset, admin_user, monkeypatch,
                                                                       settings):
    """What `make demo`'s filesystem broker needs (it never re-delivers); on Redis only past its visibility
    timeout, since until then Redis hands the task out itself."""
    from datetime import timedelta

    from celery import current_app
    from django.utils import timezone

    from studio.services.runs import recovery

    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, task_id: sent.append(args[0]))
    monkeypatch.setenv("RUN_HEARTBEAT_SECONDS", "15")
    now = timezone.now()
    silent = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    alive = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "seed": 1})
    silent, alive = silent.batches.get(), alive.batches.get()
    sent.clear()
    RunBatch.objects.filter(pk=silent.pk).update(state="running", heartbeat_at=now - timedelta(minutes=5))
    RunBatch.objects.filter(pk=alive.pk).update(state="running", heartbeat_at=now - timedelta(seconds=20))

    settings.CELERY_BROKER_URL = "filesystem://"
    assert recovery.requeue_orphaned_batches() == [silent.pk] and sent == [silent.pk]

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/3"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert recovery.requeue_orphaned_batches() == []
    RunBatch.objects.filter(pk=silent.pk).update(heartbeat_at=now - timedelta(hours=2))
    assert recovery.requeue_orphaned_batches() == [silent.pk]


def test_a_run_whose_workers_keep_dying_fails_instead_of_looping(sst2_dataset, admin_user, monkeypatch):
    """A run that kills every worker that takes it (out of memory, say) is failed after RUN_MAX_DELIVERIES."""
    from studio.services.runs import execution

    monkeypatch.setenv("RUN_MAX_DELIVERIES", "3")
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    batch = run.batches.get()
    ElicitationRun.objects.filter(pk=run.pk).update(state="running")
    RunBatch.objects.filter(pk=batch.pk).update(state="running", attempts=3, worker="gone:1", heartbeat_at=None)
    outcome = execution.execute_batch(batch.pk, task_id="t", get_backend=None, worker="here:2")
    run.refresh_from_db()
    assert outcome.state == run.state == "failed"
    assert run.error.startswith("batch 0 (of 1) failed: its worker died 3 times while running it")


def test_runs_over_32_examples_default_to_folds_and_say_so(admin_user):
    """The fast-scoring issue's default: a run over more than CPU_EXACT_LIMIT examples scores by folds, on a CPU
    and (issue 24) on GPU workers too."""
    ds = make_sst2_dataset(name="Forty", n=40)
    on_cpu = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)
    assert on_cpu.config["scoring"] == "folds"
    assert any(note.startswith("scoring=folds: a CPU run over 40 examples") for note in on_cpu.summary["defaults_applied"])
    on_gpu = runs.start_run(ds, user=admin_user, device="cuda", config=FAST_CONFIG)
    assert on_gpu.config["scoring"] == "folds"  # GPU workers too (issue 24): exact prompts share no prefix
    assert any(note.startswith("scoring=folds: a run over 40 examples") for note in on_gpu.summary["defaults_applied"])
    chosen = runs.start_run(ds, user=admin_user, config={**FAST_CONFIG, "scoring": "exact", "seed": 1})
    assert chosen.config["scoring"] == "exact"
    small = runs.start_run(ds, user=admin_user, subset="sample", sample_size=32, config=FAST_CONFIG)
    assert small.config["scoring"] == "exact"
