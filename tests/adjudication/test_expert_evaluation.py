"""An evaluation of a dataset without gold, scored on an adjudication's expert answers, saying so.

The model is the engine tests' scripted backend (tests/engine/fakes.py), not a language model: it answers True
to every prompt, so each condition's accuracy is exactly the share of expert answers that are True — what this
test checks is what the items are scored against and how the results say it, not the model. The bundled model's
evaluation path is tested in tests/review/test_evaluation.py."""
import pytest
from django.test import Client

from studio.models import AdjudicationItem, GoldLabel
from studio.services import adjudication, evaluation, review
from tests.engine.fakes import ScriptedBackend
from tests.review import factories

OPTIONS = {"conditions": "zero-shot crowd icm", "repeats": 1, "max_demos": 4, "calibrate": "none"}


@pytest.fixture
def without_gold(world):
    """world's dataset with an ICM run on its train split, 10 expert answers on test (7 True), then no gold."""
    adj = adjudication.open_adjudication(world.dataset, {"split": "test", "budget": 10}, user=world.admin)
    for i in range(10):
        item = adjudication.next_item(adj, world.expert)["item"]
        adjudication.record(adj, world.expert, item, i < 7)
    train_run = factories.completed_run(world.dataset, "train", accuracy=0.8, seed=3)
    GoldLabel.objects.filter(example__dataset=world.dataset).delete()
    return world, adj, train_run


def test_a_dataset_without_gold_is_evaluated_on_its_adjudicated_items_and_says_so(without_gold):
    world, adj, train_run = without_gold
    ev = evaluation.start_evaluation(world.dataset, options={**OPTIONS, "runs": [train_run.pk]}, enqueue=False)
    assert (ev.config["reference"], ev.config["adjudication"]) == ("expert", adj.pk)
    ev = evaluation.execute_evaluation(ev.pk, backend=ScriptedBackend(rule=lambda prompt: 1.0))
    assert ev.state == "completed", ev.error
    results = ev.results
    answered = set(AdjudicationItem.objects.filter(adjudication=adj).values_list("example_id", flat=True))
    assert set(results["test_ids"]) == answered and results["n_test"] == 10
    by_kind = {c["kind"]: c for c in results["conditions"]}
    assert set(by_kind) == {"zero-shot", "crowd", "icm"}  # no gold condition: there is no gold
    assert all(c["mean"] == pytest.approx(0.7) and c["n"] == 10 for c in results["conditions"])
    assert results["reference"]["kind"] == "expert" and results["reference"]["adjudication"] == adj.pk
    assert results["reference"]["note"].startswith("Scored on 10 expert-adjudicated items, no gold")
    assert results["verdict"].endswith("on 10 expert-adjudicated items, no gold.")
    assert all("expert-adjudicated items, no gold" in c["sentence"] for c in results["comparisons"])
    # the review dashboard's comparison carries the note beside the verdict
    assert review.dashboard(world.dataset, "test")["comparison"]["reference"]["kind"] == "expert"
    c = Client()
    c.force_login(world.reviewer)
    page = c.get(f"/review/{world.dataset.slug}/", {"split": "test"}).content.decode()
    assert 'id="scored-on-expert"' in page and "Scored on 10 expert-adjudicated items, no gold" in page


def test_the_reference_is_refused_by_name(without_gold):
    world, adj, _ = without_gold
    other = adjudication.open_adjudication(world.dataset, {"split": "test", "budget": 3, "seed": 9},
                                           user=world.admin)  # no answers yet
    unanswered = other.items.exclude(example__in=adj.items.values("example")).first().example_id
    cases = [({"adjudication": 10**6}, "adjudication", "no adjudication"),
             ({"adjudication": "first"}, "adjudication", "'first'"),
             ({"adjudication": other.pk}, "adjudication", "no expert answers yet"),
             ({"adjudication": adj.pk, "test_split": "train", "train_split": "test"}, "adjudication",
              "not the evaluation's test split"),
             ({"adjudication": adj.pk, "test_ids": [unanswered]}, "test_ids", f"answered in adjudication {adj.pk}")]
    for options, field, words in cases:
        with pytest.raises(evaluation.EvaluationRefused) as err:
            evaluation.start_evaluation(world.dataset, options={**OPTIONS, **options}, enqueue=False)
        assert err.value.field == field and words in err.value.message, (options, err.value.message)
    AdjudicationItem.objects.update(expert_label=None)  # no answers anywhere, no gold: nothing to score against
    with pytest.raises(evaluation.EvaluationRefused) as err:
        evaluation.start_evaluation(world.dataset, options=OPTIONS, enqueue=False)
    assert err.value.field == "test_split" and "has no gold labels" in err.value.message
    assert "adjudication" in err.value.message


def test_the_api_and_the_command_take_the_adjudication_option(without_gold):
    world, adj, _ = without_gold
    c = Client()
    c.force_login(world.admin)
    r = c.post("/api/evaluations/", {"dataset": world.dataset.pk, "adjudication": 10**6, **OPTIONS,
                                     "conditions": ["zero-shot"]}, content_type="application/json")
    assert r.status_code == 400 and "adjudication" in r.json()
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as err:
        call_command("evaluate", world.dataset.slug, "--adjudication", "999999")
    assert "no adjudication 999999" in str(err.value)
