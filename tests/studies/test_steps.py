"""A study's steps: each refuses (saying what it waits for) until its dependency is done; opening labeling makes
the annotation queue serve only the study's items, k people each, to its annotators; ICM starts over exactly
the train pool; the evaluation gets the study's test items, demonstrations, run and repeats."""
import pytest

from studio.models import ElicitationRun, Evaluation, Example
from studio.services import annotation
from studio.services.studies import (StudyRefused, close_labeling, create_study, evaluation_options, open_labeling,
                                     snapshot, start_icm, start_study_evaluation, study_results, study_steps)
from tests.review.factories import completed_run
from tests.studies.factories import completed_evaluation, pairs_dataset, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 3)  # person0, person1 in the study; person2 annotates the dataset but is not in it
    return create_study(ds, "blog-gender", {"name": "tiny", "icm_pool_size": 8, "people_train_size": 4,
                                            "test_size": 4, "annotators_per_item": 2,
                                            "annotators": ["person0", "person1"]}, user=admin_user)


def _states(study):
    return {s.key: s.state for s in study_steps(study)}


def _label_everything(user, dataset, seen):
    while (ex := annotation.next_example(user, dataset)) is not None:
        seen.append(ex.pk)
        annotation.submit_label(user, ex, True)


def test_evaluation_and_results_wait_for_their_dependencies(study, admin_user):
    assert _states(study) == {"people": "ready", "icm": "ready", "evaluation": "waiting", "results": "waiting"}
    with pytest.raises(StudyRefused) as err:
        start_study_evaluation(study, user=admin_user, enqueue=False)
    assert err.value.kind == "conflict"
    assert "Waits for the people's labels (finish or close labeling) and the ICM run" in err.value.message
    with pytest.raises(StudyRefused, match="evaluation, which is not started"):
        study_results(study)
    assert Evaluation.objects.count() == 0
    snap = snapshot(study)
    assert snap["next"] == "Open labeling for the people."


def test_people_label_only_the_study_items_k_each_then_the_evaluation_starts(study, admin_user, django_user_model):
    ds = study.dataset
    p0, p1, p2 = (django_user_model.objects.get(username=f"person{i}") for i in range(3))
    open_labeling(study, user=admin_user)
    study.refresh_from_db()
    assert study.labeling_open
    assert annotation.next_example(p2, ds) is None  # not one of the study's annotators
    seen0, seen1 = [], []
    _label_everything(p0, ds, seen0)
    steps = {s.key: s for s in study_steps(study)}
    assert steps["people"].state == "running"
    progress = {p["username"]: p["labeled"] for p in steps["people"].detail["people"]}
    assert progress["person0"] == steps["people"].detail["units"] == 4  # 2 train + 2 test pairs (4 + 4 examples)
    header = annotation.progress(p0, ds)  # the labeling page's header counts the study's pairs, not the dataset's
    assert (header["mine"], header["examples"], header["labels"], header["needed"]) == (4, 4, 4, 8)
    _label_everything(p1, ds, seen1)
    items = set(study.people_item_ids)
    assert set(seen0) <= items and set(seen1) <= items and seen0 and seen1
    # each person counted once per pair, whatever the queue served
    assert {Example.objects.get(pk=pk).group for pk in seen0} == {Example.objects.get(pk=pk).group for pk in items}
    assert _states(study)["people"] == "done"
    # ICM not yet done: the evaluation still waits for it, and says so
    with pytest.raises(StudyRefused, match="Waits for the ICM run"):
        start_study_evaluation(study, user=admin_user, enqueue=False)
    run = completed_run(ds, "train")
    study.run = run
    study.save()
    ev = start_study_evaluation(study, user=admin_user, enqueue=False)
    assert ev.state == Evaluation.State.PENDING
    study.refresh_from_db()
    assert study.evaluation == ev
    assert _states(study)["evaluation"] == "running"
    with pytest.raises(StudyRefused, match="cannot be started now"):
        start_study_evaluation(study, user=admin_user, enqueue=False)


def test_queue_returns_to_the_dataset_after_closing(study, admin_user, django_user_model):
    p2 = django_user_model.objects.get(username="person2")
    open_labeling(study, user=admin_user)
    assert annotation.next_example(p2, study.dataset) is None
    close_labeling(study, user=admin_user)
    ex = annotation.next_example(p2, study.dataset)
    assert ex is not None  # the dataset's usual queue again
    assert _states(study)["people"] == "done"  # closed: done with what was labeled
    with pytest.raises(StudyRefused, match="labeled none of the study's items"):
        study.run = completed_run(study.dataset, "train")
        study.save(update_fields=["run"])
        start_study_evaluation(study, user=admin_user, enqueue=False)


def test_one_open_study_per_dataset(study, admin_user):
    other = create_study(study.dataset, "blog-gender", {"name": "other", "icm_pool_size": 8, "people_train_size": 4,
                                                        "test_size": 4, "annotators_per_item": 1}, user=admin_user)
    open_labeling(study, user=admin_user)
    with pytest.raises(StudyRefused, match="'tiny' is labeling"):
        open_labeling(other, user=admin_user)
    with pytest.raises(StudyRefused, match="cannot be started now"):
        open_labeling(study, user=admin_user)


def test_start_icm_runs_over_exactly_the_pool(study, admin_user):
    run = start_icm(study, user=admin_user, confirmed=True)
    assert run.subset == ElicitationRun.Subset.IDS
    assert sorted(run.example_ids) == sorted(study.icm_pool_ids)
    assert run.split == "train"
    study.refresh_from_db()
    assert study.run == run
    assert _states(study)["icm"] == "running"
    with pytest.raises(StudyRefused, match="cannot be started now"):
        start_icm(study, user=admin_user)


def test_evaluation_options_follow_the_contract(study, admin_user):
    study.run = completed_run(study.dataset, "train")
    study.save()
    options = evaluation_options(study)
    assert options["test_ids"] == study.test_ids
    assert options["demo_pool_ids"] == study.people_train_ids  # the people's items, all inside ICM's pool
    assert options["runs"] == [study.run_id] and options["repeats"] == study.repeats
    assert set(options["conditions"]) == {"zero-shot", "zero-shot-chat", "people", "icm", "gold"}


def test_non_admins_cannot_start_steps(study, django_user_model):
    p0 = django_user_model.objects.get(username="person0")
    for start in (open_labeling, start_icm):
        with pytest.raises(StudyRefused) as err:
            start(study, user=p0)
        assert err.value.kind == "forbidden"


def test_results_after_the_evaluation(study):
    completed_evaluation(study)
    assert _states(study)["results"] == "done"
    assert snapshot(study)["next"] == "Done: read the results."
