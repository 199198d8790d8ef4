"""The aggregates kept on write (per-example vote counts, per-split tallies) against a recount from scratch,
after a randomized workload on real PostgreSQL: 20 annotators labeling, skipping, undoing and relabeling
while an ICM run finishes, an import lands and an account is deleted. Also the recount command's report.

The finishing run is written the way runs/execution.py's _finish writes it (labels, state, tallies in one
transaction), without the engine: the model's search has its own tests; here only its write matters."""
import random
import threading
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from studio.models import Dataset, ElicitationRun, Example, HumanLabel, Tally
from studio.services import review, tallies
from studio.services.annotation import AnnotationError, next_example, skip, submit_label, undo_last
from studio.services.importing.rows import ExampleRow
from studio.services.importing.writer import create_dataset, write_rows
from studio.services.review import counting
from studio.services.runs.results import write_labels

from .factories import make_annotator, make_dataset

THREADS = 20
EXAMPLES = 40
OVERLAP = 3


def _finish_run(run: ElicitationRun, rng: random.Random) -> None:
    ids = list(Example.objects.filter(dataset=run.dataset).order_by("pk").values_list("pk", flat=True))
    run.example_ids = ids
    labels = {str(i): (rng.random() < 0.5 if rng.random() < 0.9 else None) for i in ids}
    scores = {k: (rng.uniform(-5, 5) if v is not None else None) for k, v in labels.items()}
    with transaction.atomic():
        ElicitationRun.objects.select_for_update().get(pk=run.pk)
        write_labels(run.pk, ids, labels, scores)
        run.state = ElicitationRun.State.COMPLETED
        run.finished_at = timezone.now()
        run.save()
        tallies.rebuild(run.dataset_id)


def _import(name: str, rng: random.Random) -> Dataset:
    rows = [ExampleRow(external_id=f"{name}-{i}", fields={"question": f"q{i}", "claim": f"c{i}"},
                       split="train" if i % 3 else "test", gold=rng.random() < 0.5 if i % 4 else None,
                       crowd_votes=[(p, rng.random() < 0.6) for p in range(1, 1 + i % 4)]) for i in range(30)]
    with transaction.atomic():
        ds = create_dataset(name=name, prompt_template="{question}\n{claim}\nI think this claim is")
        write_rows(ds, rows)
    return ds


def _assert_matches_recount(ds: Dataset) -> None:
    diff = tallies.check(ds)
    assert not diff, "\n".join(diff.lines())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)")
def test_randomized_workload_leaves_aggregates_equal_to_a_recount():
    ds = make_dataset("Tallied", n=EXAMPLES, overlap=OVERLAP, splits=("train", "test"),
                      gold=lambda e: e.position % 3 != 0)
    HumanLabel.objects.bulk_create([HumanLabel(example=e, source=HumanLabel.Source.CROWD, crowd_voter=p,
                                               label=(e.position + p) % 2 == 0)
                                    for e in ds.examples.all()[:10] for p in (1, 2)])
    tallies.rebuild(ds)  # crowd votes written past the services, as an import would
    run = ElicitationRun.objects.create(dataset=ds, state=ElicitationRun.State.RUNNING, fingerprint="tally-run")
    leaver = make_annotator("leaver", ds)
    for _ in range(4):
        submit_label(leaver, next_example(leaver, ds), True, 1.0)
    users = [make_annotator(f"ann{i:02d}", ds) for i in range(THREADS)]
    barrier = threading.Barrier(THREADS + 3)
    errors: list[BaseException] = []
    imported: list[Dataset] = []
    lock = threading.Lock()

    def guarded(fn):
        def run_it(*args):
            try:
                barrier.wait(timeout=60)
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                with lock:
                    errors.append(e)
            finally:
                connection.close()
        return run_it

    @guarded
    def annotate(user, index):
        rng = random.Random(index)
        for _ in range(30):
            example = next_example(user, ds)
            if example is None:
                return
            roll = rng.random()
            if roll < 0.1:
                skip(user, example, 0.5)
                continue
            submit_label(user, example, rng.random() < 0.5, 0.5)
            if roll < 0.45:  # undo it, then label it again (maybe the other way)
                try:
                    undone = undo_last(user, ds)
                except AnnotationError:
                    continue
                again = next_example(user, ds)
                if again is not None and again.pk == undone.example.pk and rng.random() < 0.8:
                    submit_label(user, again, rng.random() < 0.5, 0.5)

    @guarded
    def finish_run():
        time.sleep(0.3)
        _finish_run(run, random.Random(7))

    @guarded
    def land_import():
        time.sleep(0.2)
        imported.append(_import("Landed", random.Random(3)))

    @guarded
    def delete_account():
        time.sleep(0.4)
        get_user_model().objects.get(pk=leaver.pk).delete()

    threads = [threading.Thread(target=annotate, args=(u, i)) for i, u in enumerate(users)]
    threads += [threading.Thread(target=f) for f in (finish_run, land_import, delete_account)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors

    # the existing guarantees still hold
    stored = list(HumanLabel.objects.filter(example__dataset=ds, source="annotator").values_list("annotator", "example"))
    assert max(Counter(e for _, e in stored).values()) <= OVERLAP
    assert len(set(stored)) == len(stored)
    assert not HumanLabel.objects.filter(annotator_id=leaver.pk).exists()
    assert HumanLabel.objects.filter(example__dataset=ds, source="annotator").count() > 2 * EXAMPLES  # real work

    # the incrementally kept aggregates equal a recount, exactly
    for dataset in (ds, *imported):
        _assert_matches_recount(dataset)
    assert Tally.objects.filter(dataset=imported[0]).exists()

    # and the dashboard's numbers are those of one pass over the examples and votes
    for split in ("train", "test"):
        sources = [s for s in review.label_sources(ds, split, min_labels=1, evaluation=None)]
        assert {s.kind for s in sources} >= {"run", "people", "crowd", "annotator"}
        cells = tallies.split_cells(ds.pk, split)
        assert counting.count_from_tallies(cells, sources, sources) == \
            counting.count_everything(ds, split, sources, sources)
        assert counting.histograms_from_tallies(cells) == counting.vote_histograms(ds, split)


@pytest.mark.django_db
def test_the_same_workload_one_step_at_a_time_matches_a_recount_on_any_database():
    """The embedded demo's database (SQLite) too: labels, skips, undos and relabels, a run finishing, an
    import and a deleted account, one after another."""
    rng = random.Random(11)
    ds = make_dataset("Stepwise", n=12, overlap=2, splits=("train", "test"), gold=lambda e: e.position % 2 == 0)
    run = ElicitationRun.objects.create(dataset=ds, state=ElicitationRun.State.RUNNING, fingerprint="step-run")
    users = [make_annotator(f"step{i}", ds) for i in range(4)]
    for step in range(40):
        user = users[step % len(users)]
        example = next_example(user, ds)
        if example is None:
            continue
        if rng.random() < 0.15:
            skip(user, example, 1.0)
            continue
        submit_label(user, example, rng.random() < 0.5, 1.0)
        if rng.random() < 0.4:
            undo_last(user, ds)
            submit_label(user, next_example(user, ds), rng.random() < 0.5, 1.0)
        if step == 15:
            _finish_run(run, rng)
        if step == 25:
            users[0].delete()
            users[0] = make_annotator("step-late", ds)
    landed = _import("Stepwise import", rng)
    for dataset in (ds, landed):
        _assert_matches_recount(dataset)
    assert Tally.objects.filter(dataset=ds, a_kind=tallies.Kind.RUN, a_ref=run.pk).exists()


@pytest.mark.django_db
def test_recount_command_reports_a_difference_and_fixes_it(capsys):
    ds = make_dataset("Counted", n=6, overlap=2, gold=lambda e: e.position % 2 == 0)
    user = make_annotator("ann", ds)
    submit_label(user, next_example(user, ds), True, 1.0)
    call_command("recount_tallies", "counted")
    assert "every aggregate matches a recount" in capsys.readouterr().out

    Tally.objects.filter(dataset=ds, a_kind=tallies.Kind.PEOPLE).update(n=5)
    Example.objects.filter(dataset=ds, position=0).update(people_true=4)
    with pytest.raises(CommandError, match="1 dataset"):
        call_command("recount_tallies", "counted")
    out = capsys.readouterr().out
    assert "tally cell(s)" in out and "stored 5, counted 1" in out and "stored (4, 0, 0, 0)" in out

    call_command("recount_tallies", "counted", "--fix")
    assert "recounted" in capsys.readouterr().out
    assert not tallies.check(ds)
    assert review.dashboard(ds, "train", min_labels=1)["sources"][0]["labeled"] == 1

    with pytest.raises(CommandError, match="no dataset with slug nope"):
        call_command("recount_tallies", "nope")
