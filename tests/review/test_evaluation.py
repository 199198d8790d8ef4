"""The paper's comparison as a Celery task: what an admin may start, which demonstrations each condition
gets, and — on a real worker with the bundled model — a tiny evaluation end to end."""
import math

import pytest

from studio.models import Dataset, ElicitedLabel, Evaluation, Example, GoldLabel, HumanLabel
from studio.services import evaluation, review
from tests.review import factories
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db


def _one_split_dataset():
    ds = Dataset.objects.create(name="one split", slug="one-split", prompt_template="{text}")
    Example.objects.bulk_create([Example(dataset=ds, external_id=str(i), split="train", position=i,
                                         fields={"text": f"t{i}"}, prompt=f"t{i}") for i in range(4)])
    return ds


def test_a_dataset_without_a_test_split_is_refused_with_a_clear_message():
    ds = _one_split_dataset()
    with pytest.raises(evaluation.EvaluationRefused) as e:
        evaluation.start_evaluation(ds, options={})
    assert "has no 'test' split to measure accuracy on (its splits: 'train')" in str(e.value)
    assert "held-out test split with gold labels" in str(e.value)
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("options,message", [
    ({"test_split": "train"}, "train_split and test_split must differ"),
    ({"max_demos": "many"}, "max_demos must be a whole number; got 'many'"),
    ({"max_test": "0"}, "max_test must be between 1 and 100000; got 0"),
    ({"calibrate": "platt"}, "calibrate must be one of none, center; got 'platt'"),
    ({"train_split": "dev"}, "has no 'dev' split to take demonstrations from"),
])
def test_bad_options_name_the_field_and_change_nothing(reviewed, options, message):
    before = Evaluation.objects.count()
    with pytest.raises(evaluation.EvaluationRefused, match=message):
        evaluation.start_evaluation(reviewed.dataset, options=options)
    assert Evaluation.objects.count() == before


def test_test_split_without_gold_is_refused(reviewed):
    GoldLabel.objects.filter(example__dataset=reviewed.dataset, example__split="test").delete()
    with pytest.raises(evaluation.EvaluationRefused, match="the 'test' split has no gold labels"):
        evaluation.start_evaluation(reviewed.dataset, options={})


def test_a_second_start_while_one_is_pending_is_refused(reviewed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = evaluation.start_evaluation(reviewed.dataset, options={"max_demos": "4"})
    assert first.state == "pending" and first.config["max_demos"] == 4 and len(callbacks) == 1
    with pytest.raises(evaluation.EvaluationRefused, match=f"evaluation {first.pk} of this dataset is still pending"):
        evaluation.start_evaluation(reviewed.dataset, options={})


def test_the_task_goes_to_the_gpu_queue():
    from studio.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery of task modules
    assert "studio.tasks.evaluation.run_evaluation" in app.tasks
    route = app.amqp.router.route({}, "studio.tasks.evaluation.run_evaluation")
    assert route["queue"].name == "gpu"


def test_plan_gives_every_condition_train_demonstrations_labeled_by_its_source(reviewed):
    ds = reviewed.dataset
    config = evaluation.validate_options(ds, {"max_demos": "12", "max_test": "30", "seed": "3"})
    plan = evaluation.plan(ds, config)
    by_key = {c["key"]: c for c in plan["conditions"]}
    assert list(by_key) == ["zero-shot", "random", "gold", "people", f"run:{reviewed.run.pk}"]
    train = set(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    test_gold = set(GoldLabel.objects.filter(example__dataset=ds, example__split="test").values_list("example_id", flat=True))
    assert len(plan["test_ids"]) == 30 and set(plan["test_ids"]) <= test_gold
    assert by_key["zero-shot"]["demos"] == []
    gold = dict(GoldLabel.objects.filter(example_id__in=train).values_list("example_id", "label"))
    run = dict(ElicitedLabel.objects.filter(run=reviewed.run, example_id__in=train).values_list("example_id", "label"))
    people = _people_majority(train)
    for key, truth in (("gold", gold), (f"run:{reviewed.run.pk}", run), ("people", people)):
        demos = by_key[key]["demos"]
        assert len(demos) == 12 and {i for i, _ in demos} <= train, key
        assert all(label == truth[i] for i, label in demos), f"{key} demonstrations carry {key}'s labels"
    # gold, the run and random labels cover every train example, so they get the very same examples
    assert [i for i, _ in by_key["gold"]["demos"]] == [i for i, _ in by_key["random"]["demos"]] == \
        [i for i, _ in by_key[f"run:{reviewed.run.pk}"]["demos"]]
    assert evaluation.plan(ds, config) == plan, "seeded"
    assert evaluation.plan(ds, {**config, "seed": 4})["test_ids"] != plan["test_ids"]


def _people_majority(ids):
    votes = {}
    for ex, label in HumanLabel.objects.filter(example_id__in=ids, source="annotator").values_list("example_id", "label"):
        t, f = votes.get(ex, (0, 0))
        votes[ex] = (t + label, f + (not label))
    return {ex: t > f for ex, (t, f) in votes.items() if t != f}


def test_only_admins_start_evaluations_from_the_dashboard(reviewed, client, django_user_model,
                                                         django_capture_on_commit_callbacks):
    from studio.models import Membership

    reviewer = django_user_model.objects.create_user("rev", password="pw-123456789")
    Membership.objects.create(user=reviewer, dataset=reviewed.dataset, role="reviewer")
    client.force_login(reviewer)
    page = client.get(f"/review/{reviewed.dataset.slug}/").content.decode()
    assert "Start an evaluation" not in page
    response = client.post(f"/review/{reviewed.dataset.slug}/evaluations/", {"max_demos": "4"})
    assert response.status_code == 403 and not Evaluation.objects.filter(state="pending").exists()


@pytest.mark.slow
def test_demonstrations_are_trimmed_alike_to_fit_the_models_context(reviewed):
    """The bundled model's tokenizer and context window: 200 alpaca demonstrations do not fit, so every
    condition keeps the same, smaller number, and the longest resulting prompt fits."""
    from elicitation import load_backend

    backend = load_backend(model="smollm2", kind="hf", device="cpu")
    config = evaluation.validate_options(reviewed.dataset, {"max_demos": "200", "max_test": "20"})
    plan = evaluation.plan(reviewed.dataset, config)
    ids = list(dict.fromkeys([*plan["test_ids"], *(i for c in plan["conditions"] for i, _ in c["demos"])]))
    texts = dict(Example.objects.filter(pk__in=ids).values_list("pk", "prompt"))
    prompts = evaluation.ManyShotPrompts({i: texts[i] for i in ids}, (" True", " False"))
    keep = evaluation.fit_to_context(plan["conditions"], plan["test_ids"], prompts, backend.count_tokens,
                                     backend.context_length)
    assert 0 < keep < 200
    for c in plan["conditions"]:
        longest = max(backend.count_tokens(prompts.prompt(c["demos"][:keep], i)) for i in plan["test_ids"])
        assert longest <= backend.context_length, c["key"]
    # the cap is tight: for some condition, one more demonstration would (nearly) overflow
    assert max(backend.count_tokens(prompts.prompt(c["demos"][:keep + 1], i))
               for c in plan["conditions"] if c["demos"] for i in plan["test_ids"]) > backend.context_length - 60


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_tiny_evaluation_runs_on_a_worker_with_the_bundled_model(start_worker, client, admin_user):
    """Real Celery worker (Redis, PostgreSQL), real SmolLM2 on CPU: 3 test sentences, 4 demonstrations."""
    ds = factories.sst2_review_dataset(train=8, test=3)
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=2)
    users = factories.annotators(2, prefix="sst")
    train_ids = list(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    factories.annotate(ds, users, train_ids, accuracy=0.75, seed=3)
    worker = start_worker("review")

    client.force_login(admin_user)
    response = client.post(f"/review/{ds.slug}/evaluations/", {"max_demos": "4", "max_test": "3", "seed": "1"},
                           follow=True)
    assert "queued on the gpu queue" in response.content.decode()
    ev = Evaluation.objects.get(dataset=ds)
    wait_for(lambda: Evaluation.objects.get(pk=ev.pk).state in ("completed", "failed"), 600,
                       "the evaluation to finish")
    ev.refresh_from_db()
    assert ev.state == "completed", ev.error + worker.log()[-3000:]
    keys = [s["key"] for s in ev.results["sources"]]
    assert keys == ["zero-shot", "random", "gold", "people", f"run:{run.pk}"]
    for s in ev.results["sources"]:
        assert len(s["predictions"]) == len(s["scores"]) == 3 and all(math.isfinite(x) for x in s["scores"])
        assert s["predictions"] == [x > 0 for x in s["scores"]]
        assert s["n_demos"] == (0 if s["key"] == "zero-shot" else 4)

    # the worker's zero-shot score is the engine's log-odds for the bare test prompt
    from elicitation import load_backend

    backend = load_backend(model="smollm2", kind="hf", device="cpu")
    prompt = Example.objects.get(pk=ev.results["example_ids"][0]).prompt
    direct = backend.score([evaluation.ManyShotPrompts({0: prompt}, (ds.true_word, ds.false_word)).prompt([], 0)],
                           ds.true_word, ds.false_word)[0]
    assert ev.results["sources"][0]["scores"][0] == pytest.approx(direct, abs=1e-3)

    cmp = review.dashboard(ds, "test")["comparison"]
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
    for bar, s in zip(sorted(cmp["bars"], key=lambda b: keys.index(b["key"])), ev.results["sources"]):
        expected = sum(p == gold[i] for p, i in zip(s["predictions"], ev.results["example_ids"])) / 3
        assert bar["accuracy"] == pytest.approx(expected)
