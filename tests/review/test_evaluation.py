"""The paper's comparison as a Celery task: what an admin may start, which demonstrations each condition
gets, and — on a real worker with the bundled model — a tiny evaluation end to end."""
import pytest

from studio.models import Dataset, Evaluation, Example, GoldLabel, HumanLabel
from studio.services import evaluation
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


def _people_majority(ids):
    votes = {}
    for ex, label in HumanLabel.objects.filter(example_id__in=ids, source="annotator").values_list("example_id", "label"):
        t, f = votes.get(ex, (0, 0))
        votes[ex] = (t + label, f + (not label))
    return {ex: t > f for ex, (t, f) in votes.items() if t != f}


def _train_run(ds, *, seed=5, model="smollm2", calibrate="center"):
    run = factories.completed_run(ds, "train", accuracy=0.8, seed=seed)
    run.model = model
    run.config = {**run.config, "calibrate": calibrate}
    run.save()
    return run


def test_every_many_shot_condition_gets_the_same_demonstration_ids_in_a_repeat(reviewed):
    ds = reviewed.dataset
    run = _train_run(ds)
    config = evaluation.validate_options(ds, {"max_demos": "12", "max_test": "30", "seed": "3", "calibrate": "center"})
    p = evaluation.plan(ds, config)
    keys = [c.key for c in p.conditions]
    assert keys == ["zero-shot", "zero-shot-chat", "random", "people", "crowd", f"run:{run.pk}", "gold"]
    from studio.services.evaluation.executing import _demos

    many = [c for c in p.conditions if c.many_shot]
    train = set(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    people = _people_majority(train)
    assert len(p.repeats) == 3
    for r in p.repeats:
        assert len(r.order) == 12 and set(r.order) <= set(people), "drawn from examples every source labeled"
        ids = {c.key: [i for i, _ in _demos(c, r, r.order)] for c in many}
        assert all(v == r.order for v in ids.values()), "only the labels differ between conditions"
        gold = dict(GoldLabel.objects.filter(example_id__in=r.order).values_list("example_id", "label"))
        assert dict(_demos(next(c for c in many if c.kind == "gold"), r, r.order)) == gold
        assert dict(_demos(next(c for c in many if c.kind == "people"), r, r.order)) == {i: people[i] for i in r.order}
    assert p.repeats[0].order != p.repeats[1].order, "each repeat draws again"
    # the people labeled 60 train pairs' examples only: the pool is theirs, and what the others lack is said
    assert p.pool_size == len(people)
    assert {m["key"] for m in p.missing} == {"people"} and p.missing[0]["count"] == len(train) - len(people)
    again = evaluation.plan(ds, config)
    assert [r.order for r in again.repeats] == [r.order for r in p.repeats], "seeded"


def test_ineligible_runs_are_left_out_with_their_reasons(reviewed):
    ds = reviewed.dataset
    good = _train_run(ds, seed=6)
    other_model = _train_run(ds, seed=7, model="other-model")
    uncalibrated = _train_run(ds, seed=8, calibrate="none")
    config = evaluation.validate_options(ds, {"calibrate": "center"})
    p = evaluation.plan(ds, config)
    assert [c.run_id for c in p.conditions if c.kind == "icm"] == [good.pk]
    reasons = {e["run_id"]: e["reason"] for e in p.excluded_runs}
    assert "also searched 466 examples outside the 'train' split" in reasons[reviewed.run.pk]
    assert reasons[other_model.pk] == "model other-model, not the evaluation's smollm2"
    assert reasons[uncalibrated.pk] == "calibrated 'none', the evaluation 'center'"
    # chosen by name, a run of another model is included and marked
    chosen = evaluation.plan(ds, evaluation.validate_options(ds, {"calibrate": "center", "runs": [other_model.pk]}))
    icm = [c for c in chosen.conditions if c.kind == "icm"]
    assert [c.run_id for c in icm] == [other_model.pk] and icm[0].marks == ["model other-model, not the evaluation's smollm2"]
    assert {e["run_id"]: e["reason"] for e in chosen.excluded_runs}[good.pk] == "not among the runs chosen"


def test_the_calibration_defaults_to_the_runs(reviewed):
    ds = reviewed.dataset
    ev = evaluation.start_evaluation(ds, options={}, enqueue=False)
    assert ev.config["calibrate"] == "center"  # the bundled model's runs are centered


@pytest.mark.parametrize("options,message", [
    ({"repeats": "0"}, "repeats must be between 1 and 10; got 0"),
    ({"runs": "999999"}, "runs: no ICM run 999999 on dataset"),
    ({"conditions": "gold, vibes"}, "conditions: 'vibes' not among"),
    ({"test_ids": "999998 999999"}, "test_ids: 2 ids are not examples of the 'test' split with gold labels"),
    ({"model": "/etc/passwd"}, "model: a model given as a path must be inside the models directory"),
])
def test_bad_evaluation_options_are_refused_by_name(reviewed, options, message):
    before = Evaluation.objects.count()
    with pytest.raises(evaluation.EvaluationRefused, match=message):
        evaluation.start_evaluation(reviewed.dataset, options=options)
    assert Evaluation.objects.count() == before


def test_no_shared_demonstrations_is_refused_with_the_counts(reviewed):
    ds = reviewed.dataset
    train = list(Example.objects.filter(dataset=ds, split="train").order_by("position").values_list("pk", flat=True))
    config = evaluation.validate_options(ds, {"demo_pool_ids": train[-10:], "conditions": "people gold"})
    with pytest.raises(evaluation.EvaluationRefused, match=r"no train example is labeled by every label source.*"
                       r"People's labels 0; Gold labels 10"):
        evaluation.plan(ds, config)


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
def test_demonstrations_are_trimmed_alike_to_fit_the_models_context(reviewed, bundled_backend):
    """The bundled model's tokenizer and context window: every alpaca demonstration does not fit, so every
    condition keeps the same, smaller number, and the longest resulting prompt fits."""
    from studio.services.evaluation.executing import _demos

    backend = bundled_backend
    config = evaluation.validate_options(reviewed.dataset, {"max_test": "20", "conditions": "random gold crowd"})
    p = evaluation.plan(reviewed.dataset, config)
    r = p.repeats[0]
    assert len(r.order) > 200  # no cap: every train example every source labeled
    ids = list(dict.fromkeys([*p.test_ids, *r.order]))
    texts = dict(Example.objects.filter(pk__in=ids).values_list("pk", "prompt"))
    prompts = evaluation.ManyShotPrompts({i: texts[i] for i in ids}, (" True", " False"))
    many = [{"demos": _demos(c, r, r.order)} for c in p.conditions if c.many_shot]
    keep = evaluation.fit_to_context(many, p.test_ids, prompts, backend.count_tokens, backend.context_length)
    assert 0 < keep < len(r.order)
    for c in many:
        longest = max(backend.count_tokens(prompts.prompt(c["demos"][:keep], i)) for i in p.test_ids)
        assert longest <= backend.context_length
    # the cap is tight: for some condition, one more demonstration would (nearly) overflow
    assert max(backend.count_tokens(prompts.prompt(c["demos"][:keep + 1], i))
               for c in many for i in p.test_ids) > backend.context_length - 60


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_tiny_evaluation_runs_on_a_worker_with_the_bundled_model(start_worker, client, admin_user,
                                                                   bundled_backend):
    """Real Celery worker (Redis, PostgreSQL), real SmolLM2 on CPU: 3 test sentences, 4 demonstrations, 2 repeats.
    The ICM run's labels are written by the test factory (the search itself is tested in tests/runs)."""
    ds = factories.sst2_review_dataset(train=8, test=3)
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=2)
    users = factories.annotators(2, prefix="sst")
    train_ids = list(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    factories.annotate(ds, users, train_ids, accuracy=0.75, seed=3)
    worker = start_worker("review")

    client.force_login(admin_user)
    response = client.post(f"/review/{ds.slug}/evaluations/", {"max_demos": "4", "max_test": "3", "seed": "1",
                                                               "repeats": "2"},
                           follow=True)
    assert "queued on the gpu queue" in response.content.decode()
    ev = Evaluation.objects.get(dataset=ds)
    wait_for(lambda: Evaluation.objects.get(pk=ev.pk).state in ("completed", "failed"), 600,
                       "the evaluation to finish")
    ev.refresh_from_db()
    assert ev.state == "completed", ev.error + worker.log()[-3000:]
    res = ev.results
    keys = [c["key"] for c in res["conditions"]]
    assert keys == ["zero-shot", "zero-shot-chat", "random", "people", f"run:{run.pk}", "gold"]
    assert len(res["repeats"]) == 2 and all(r["n_demos"] == 4 for r in res["repeats"])
    assert res["repeats"][0]["demo_ids"] != res["repeats"][1]["demo_ids"]
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
    for c in res["conditions"]:
        assert len(c["predictions"]) == 2 and all(len(p) == 3 for p in c["predictions"])
        accs = [sum(y == gold[i] for y, i in zip(p, res["test_ids"])) / 3 for p in c["predictions"]]
        assert [r["accuracy"] for r in c["per_repeat"]] == pytest.approx(accs)
        assert c["mean"] == pytest.approx(sum(accs) / 2)
        assert c["n_demos"] == (0 if c["kind"].startswith("zero-shot") else 4)
    assert res["verdict"].endswith("on 3 test items.") and f"ICM run {run.pk}'s labels" in res["verdict"]
    assert len(res["comparisons"]) == 15  # every pair of the 6 conditions

    # the worker's zero-shot prediction is the sign of the engine's calibrated log-odds for the bare test prompt
    backend = bundled_backend
    prompts = [Example.objects.get(pk=i).prompt for i in res["test_ids"]]
    raw = backend.score(prompts, ds.true_word, ds.false_word)
    centered = [x - sum(raw) / len(raw) for x in raw]  # the evaluation is calibrated as the run: center
    assert res["conditions"][0]["predictions"][0] == [x > 0 for x in centered]

    client.force_login(admin_user)
    html = client.get(f"/review/{ds.slug}/?split=test").content.decode()
    assert 'id="verdict"' in html and "on 3 test items" in html


def test_each_label_source_reports_the_consistency_pairs_it_breaks(reviewed):
    """Alpaca pairs (A>B, B>A): gold labels every pair one-true-one-false; a source that labels both orders the
    same breaks the rule, and the count says how many of the pairs it labeled both sides of."""
    from studio.services.evaluation.executing import _consistency

    ds = reviewed.dataset
    run = _train_run(ds, seed=9)
    config = evaluation.validate_options(ds, {"calibrate": "center", "conditions": "gold icm"})
    p = evaluation.plan(ds, config)
    counts = _consistency(ds, p)
    pairs = Example.objects.filter(dataset=ds, split="train").values("group").distinct().count()
    assert counts["gold"] == {"violations": 0, "checked": pairs}
    labels = next(s for s in p.sources if s.key == f"run:{run.pk}").labels
    groups = {}
    for pk, group in Example.objects.filter(pk__in=list(labels)).values_list("pk", "group"):
        groups.setdefault(group, []).append(labels[pk])
    broken = sum(1 for g in groups.values() if len(g) == 2 and g[0] == g[1])
    assert counts[f"run:{run.pk}"] == {"violations": broken, "checked": sum(1 for g in groups.values() if len(g) == 2)}
    assert broken > 0  # the factory's run flips labels at random: some pairs break


def test_an_evaluation_is_flagged_stale_when_labels_arrive_after_it(reviewed):
    from studio.services import review
    from tests.review import factories as f

    cmp = review.dashboard(reviewed.dataset, "test")["comparison"]
    assert cmp["stale"]["stale"] is False
    late = f.annotators(1, prefix="late")
    train = list(Example.objects.filter(dataset=reviewed.dataset, split="train").values_list("pk", flat=True)[:3])
    f.annotate(reviewed.dataset, late, train, accuracy=1.0, seed=1)
    stale = review.dashboard(reviewed.dataset, "test")["comparison"]["stale"]
    assert stale["stale"] is True and stale["new_human_labels"] == 3
    assert "3 labels by people on “train”" in stale["note"]
