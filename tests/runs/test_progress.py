"""How a worker records a batch's progress (and its run's totals): throttled writes, accuracy against gold from GoldLabel, checkpoints,
and idempotent results (no model here; the worker tests run the real one)."""
import pytest

from studio.models import ElicitationRun, ElicitedLabel, RunBatch, RunEvent
from studio.services import runs
from studio.services.engine_port import EngineEvent
from studio.services.jobs import lease
from studio.services.runs.progress import ProgressRecorder, gold_for
from studio.services.runs.results import write_labels

from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def held_run(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    ElicitationRun.objects.filter(pk=run.pk).update(state="running")
    RunBatch.objects.filter(run=run).update(state="running", worker="here:1")
    run.refresh_from_db()
    return run


@pytest.fixture
def held_batch(held_run):
    return held_run.batches.get()


def _event(i, labels=None, changes=None):
    e = {"iteration": i, "energy": -float(i), "accepted_flips": i, "inconsistencies": 0, "labeled_count": 4,
         "label_counts": {"true": 2, "false": 2}, "tokens": 100 * i}
    if labels is not None:
        e["labels"] = labels
    if changes is not None:
        e["changes"] = changes
    return EngineEvent.from_engine(e)


def test_events_are_written_a_few_times_a_second_at_most(held_run, held_batch):
    clock = Clock()
    recorder = ProgressRecorder(held_batch, "here:1", gold=gold_for(held_run.example_ids), clock=clock)
    for i in range(100):  # 100 iterations in one second
        recorder.on_event(_event(i))
        clock.now += 0.01
    recorder.flush()
    iterations = list(RunEvent.objects.filter(run=held_run).values_list("iteration", flat=True))
    assert len(iterations) <= 6 and iterations[0] == 0 and iterations[-1] == 99
    held_run.refresh_from_db()
    assert held_run.iteration == 99 and held_run.tokens_used == 9900 and held_run.energy == -99


def test_accuracy_so_far_follows_the_labels_against_gold(held_run, held_batch):
    gold = gold_for(held_run.example_ids)
    ids = [str(pk) for pk in held_run.example_ids]
    assert len(gold) == 8
    clock = Clock()
    recorder = ProgressRecorder(held_batch, "here:1", gold=gold, clock=clock)
    first = {i: gold[i] for i in ids[:3]}
    first[ids[3]] = not gold[ids[3]]
    recorder.on_event(_event(0, labels=first))  # 3 of 4 right
    clock.now += 1
    recorder.on_event(_event(1, changes={ids[3]: gold[ids[3]]}))  # now 4 of 4
    accuracies = list(RunEvent.objects.filter(run=held_run).order_by("iteration").values_list("accuracy", flat=True))
    assert accuracies == [0.75, 1.0]


def test_a_checkpoint_is_saved_on_the_batch(held_batch):
    class State:
        labels = {"1": True}

        def to_dict(self):
            return {"iteration": 3, "labels": self.labels}

    ProgressRecorder(held_batch, "here:1", gold={}).on_checkpoint(State())
    held_batch.refresh_from_db()
    assert held_batch.checkpoint == {"iteration": 3, "labels": {"1": True}}


def test_a_worker_that_lost_its_batch_writes_nothing_more(held_run, held_batch):
    RunBatch.objects.filter(pk=held_batch.pk).update(worker="other:2")
    recorder = ProgressRecorder(held_batch, "here:1", gold={})
    with pytest.raises(lease.LeaseLost):
        recorder.on_event(_event(5))
    assert not RunEvent.objects.filter(run=held_run).exists()


def test_results_are_written_once_per_example_however_often_they_are_written(held_run):
    ids = [str(pk) for pk in held_run.example_ids]
    labels = {i: (n % 2 == 0) for n, i in enumerate(ids)}
    labels[ids[-1]] = None
    scores = {i: 0.5 for i in ids}
    write_labels(held_run.pk, held_run.example_ids, labels, scores, filled={ids[1]})
    write_labels(held_run.pk, held_run.example_ids, {**labels, ids[0]: False}, {**scores, ids[0]: -2.0},
                 filled={ids[1]})  # a re-delivered task
    rows = ElicitedLabel.objects.filter(run=held_run)
    assert rows.count() == 8
    first = rows.get(example_id=int(ids[0]))
    assert first.label is False and first.score == -2.0 and first.kind == "elicited"
    assert rows.get(example_id=int(ids[1])).kind == "filled"
    last = rows.get(example_id=int(ids[-1]))
    assert last.label is None and last.kind == "unlabeled"
