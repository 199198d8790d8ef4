"""Starting and cancelling runs through the service the admin, the studio page and the API share
(no worker here: these check what is recorded and what is refused)."""
import pytest
from django.db import IntegrityError

from studio.models import ElicitationRun, HumanLabel
from studio.services import runs
from studio.services.runs import starting

from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db


def test_a_started_run_records_its_configuration(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    assert run.state == "pending" and run.created_by == admin_user and run.celery_task_id
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


def test_fill_is_refused_until_studio_runs_keep_filled_labels_apart(sst2_dataset, admin_user):
    """The engine can fill unlabeled examples, but a studio run would show them as elicited: refused, nothing made."""
    with pytest.raises(runs.RunRefused, match="config field 'fill'") as refused:
        runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "fill": True})
    assert refused.value.field == "fill"
    assert not ElicitationRun.objects.exists()


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
    with pytest.raises(runs.RunRefused, match=f"Run #{run.pk} has already canceled"):
        runs.cancel_run(run, user=admin_user)


def test_the_task_is_queued_when_the_run_is_committed(sst2_dataset, admin_user, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    from celery import current_app

    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, task_id: sent.append((name, args, task_id)))
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    assert sent == [("studio.tasks.elicitation.run_elicitation", [run.pk], run.celery_task_id)]


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


def test_a_starting_worker_queues_again_a_run_whose_worker_went_silent(sst2_dataset, admin_user, monkeypatch,
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
    ElicitationRun.objects.filter(pk=silent.pk).update(state="running", heartbeat_at=now - timedelta(minutes=5))
    ElicitationRun.objects.filter(pk=alive.pk).update(state="running", heartbeat_at=now - timedelta(seconds=20))

    settings.CELERY_BROKER_URL = "filesystem://"
    assert recovery.requeue_orphaned_runs() == [silent.pk] and sent == [silent.pk]

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/3"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert recovery.requeue_orphaned_runs() == []
    ElicitationRun.objects.filter(pk=silent.pk).update(heartbeat_at=now - timedelta(hours=2))
    assert recovery.requeue_orphaned_runs() == [silent.pk]


def test_a_run_whose_workers_keep_dying_fails_instead_of_looping(sst2_dataset, admin_user, monkeypatch):
    """A run that kills every worker that takes it (out of memory, say) is failed after RUN_MAX_DELIVERIES."""
    from studio.services.runs import execution

    monkeypatch.setenv("RUN_MAX_DELIVERIES", "3")
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    ElicitationRun.objects.filter(pk=run.pk).update(state="running", attempts=3, worker="gone:1", heartbeat_at=None)
    outcome = execution.execute_run(run.pk, task_id="t", get_backend=None, worker="here:2")
    run.refresh_from_db()
    assert outcome.state == run.state == "failed"
    assert run.error.startswith("the run's worker died 3 times while running it")


def test_cpu_runs_over_32_examples_default_to_folds_and_say_so(admin_user):
    """The fast-scoring issue's default: a CPU run over more than CPU_EXACT_LIMIT examples scores by folds."""
    ds = make_sst2_dataset(name="Forty", n=40)
    on_cpu = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)
    assert on_cpu.config["scoring"] == "folds"
    assert any(note.startswith("scoring=folds: a CPU run over 40 examples") for note in on_cpu.summary["defaults_applied"])
    on_gpu = runs.start_run(ds, user=admin_user, device="cuda", config=FAST_CONFIG)
    assert on_gpu.config["scoring"] == "exact"
    chosen = runs.start_run(ds, user=admin_user, config={**FAST_CONFIG, "scoring": "exact", "seed": 1})
    assert chosen.config["scoring"] == "exact"
    small = runs.start_run(ds, user=admin_user, subset="sample", sample_size=32, config=FAST_CONFIG)
    assert small.config["scoring"] == "exact"
