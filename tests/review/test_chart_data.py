"""What the review pages open on and what their charts are fed: the split that has labels, label sources kept
apart from an evaluation's conditions, and a run's curves one series per batch."""
import json
import re

import pytest

from studio.models import ElicitationRun, Example, RunEvent
from studio.services import review
from tests.review import factories

pytestmark = pytest.mark.django_db


def _ids(ds, split):
    return list(Example.objects.filter(dataset=ds, split=split).order_by("position").values_list("pk", flat=True))


def _selected_split(html):
    return re.search(r'<select name="split">.*?<option(?: value="[^"]+")? selected>([^<]+)</option>', html, re.S).group(1)


def test_the_dashboard_opens_on_the_split_that_has_labels(client, admin_user):
    ds = factories.sst2_review_dataset(train=8, test=4)
    assert review.default_split(ds) == "test", "no labels anywhere: the usual rule (test when there is one)"
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=1)
    factories.annotate(ds, factories.annotators(2), _ids(ds, "train")[:5], accuracy=0.8, seed=2)
    assert review.default_split(ds) == "train"
    client.force_login(admin_user)
    html = client.get(f"/review/{ds.slug}/").content.decode()
    assert _selected_split(html) == "train"
    data = json.loads(re.search(r'<script id="review-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert data["split"] == "train"
    assert {s["key"] for s in data["sources"]} == {f"run:{run.pk}", "people"}  # 5 labels each: below the minimum
    assert f'data-run="{run.pk}"' in html, "the run's curves are on the page it opens on"
    assert _selected_split(client.get(f"/review/{ds.slug}/disagreements/").content.decode()) == "train"


def test_the_split_with_the_most_labels_wins_and_a_tie_keeps_the_usual_rule():
    ds = factories.sst2_review_dataset(train=8, test=4)
    users = factories.annotators(3)
    factories.annotate(ds, users[:1], _ids(ds, "train")[:3], accuracy=0.8, seed=1)  # 3 labels on train
    factories.annotate(ds, users[1:], _ids(ds, "test")[:2], accuracy=0.8, seed=2)  # 4 labels on test
    assert review.default_split(ds) == "test"
    factories.annotate(ds, users[1:2], _ids(ds, "train")[3:5], accuracy=0.8, seed=3)  # 5 on train
    assert review.default_split(ds) == "train"
    factories.annotate(ds, users[2:], _ids(ds, "test")[2:3], accuracy=0.8, seed=4)  # 5 and 5: a tie
    assert review.default_split(ds) == "test"


def test_a_dataset_without_a_test_split_opens_on_its_labeled_split():
    ds = factories.sst2_review_dataset(train=6, test=3, name="no-test")
    Example.objects.filter(dataset=ds, split="test").update(split="dev")
    assert review.default_split(ds) == "dev", "no labels: the first split"
    factories.annotate(ds, factories.annotators(1), _ids(ds, "train")[:2], accuracy=1.0, seed=0)
    assert review.default_split(ds) == "train"


def test_an_evaluations_conditions_are_not_label_sources(reviewed, client, admin_user):
    """The evaluation's conditions are the model's test predictions, shown by the comparison; the sources
    table, its chart and the kappa matrix list only who labeled the examples."""
    data = review.dashboard(reviewed.dataset, "test", min_labels=10)
    kinds = {s["kind"] for s in data["sources"]}
    assert kinds == {"run", "people", "crowd", "annotator"}
    assert not any(k.startswith("eval:") for k in data["kappa"]["keys"])
    assert data["comparison"]["bars"], "the evaluation's results are still shown, as its own section"
    client.force_login(admin_user)
    html = client.get(f"/review/{reviewed.dataset.slug}/?split=test").content.decode()
    sources_section = re.search(r'<section id="sources".*?</section>', html, re.S).group(0)
    agreement_section = re.search(r'<section id="agreement".*?</section>', html, re.S).group(0)
    conditions = [b["name"] for b in data["comparison"]["bars"] if b["kind"] in ("zero-shot", "random", "gold")]
    assert len(conditions) == 3, conditions
    for section in (sources_section, agreement_section):
        assert f"evaluation {reviewed.evaluation.pk}" not in section and 'data-source="eval:' not in section
        for name in conditions:
            assert name not in section, name
    pickers = client.get(f"/review/{reviewed.dataset.slug}/disagreements/?split=test").content.decode()
    assert "eval:" not in pickers and "evaluation " + str(reviewed.evaluation.pk) not in pickers
    assert {s.kind for s in review.label_sources(reviewed.dataset, "test", min_labels=1)} == {
        "run", "people", "crowd", "annotator"}
    key = f"eval:{reviewed.evaluation.pk}:zero-shot"
    with pytest.raises(review.ReviewError, match=f"no label source '{key}'"):
        review.find_source(reviewed.dataset, "test", key)


def test_a_runs_curves_are_one_series_per_batch_in_iteration_order():
    ds = factories.sst2_review_dataset(train=8, test=4, name="batched")
    run = factories.completed_run(ds, "train", seed=5, batch_size=4)
    # written out of order, batch 1 first: each batch's iterations count from 1
    RunEvent.objects.bulk_create([RunEvent(run=run, batch=b, iteration=i, energy=float(10 * b + i), labeled_count=i,
                                           accepted_flips=i // 2, inconsistencies=4 - i)
                                  for b in (1, 0) for i in (4, 1, 2, 3)])
    curves = review.run_curves(run)
    assert [b["batch"] for b in curves["batches"]] == [0, 1]
    for b in curves["batches"]:
        assert b["iteration"] == [1, 2, 3, 4]
        assert b["energy"] == [10.0 * b["batch"] + i for i in (1, 2, 3, 4)]
        assert b["labeled_count"] == [1, 2, 3, 4] and b["inconsistencies"] == [3, 2, 1, 0]
    assert curves["batch"] == [0] * 4 + [1] * 4 and curves["iteration"] == [1, 2, 3, 4] * 2


def test_thinning_keeps_each_batchs_last_point():
    ds = factories.sst2_review_dataset(train=8, test=4, name="thinned")
    run = factories.completed_run(ds, "train", seed=6, batch_size=4)
    RunEvent.objects.bulk_create([RunEvent(run=run, batch=b, iteration=i, energy=float(i))
                                  for b in (0, 1) for i in range(1, 302)])
    curves = review.run_curves(run, max_points=100)
    assert curves["thinned_every"] == 7
    for b in curves["batches"]:
        assert b["iteration"][0] == 1 and b["iteration"][-1] == 301 and len(b["iteration"]) <= 45
        assert b["iteration"] == sorted(b["iteration"])
    assert ElicitationRun.objects.get(pk=run.pk).events.count() == 602
