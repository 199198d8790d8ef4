"""Results from a completed evaluation (its results dict built here by the contract) and the people's labels:
each annotator's accuracy on the test pairs (a pair counted once, the other order's label flipped onto it) with
Wilson intervals, the people's majority, the conditions in the figure's order with the evaluation's intervals,
the verdict; the figure as SVG, the numbers as CSV and JSON; who may read them."""
import csv
import io
import json

import pytest
from django.urls import reverse

from studio.models import Membership
from studio.services.metrics import wilson_interval
from studio.services.studies import create_study, render_svg, results_csv, study_results
from tests.review.factories import completed_run
from tests.studies.factories import completed_evaluation, gold, label, pairs_dataset, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    p0, p1 = people(ds, 2)
    study = create_study(ds, "blog-gender", {"name": "Tiny <gender> study", "icm_pool_size": 8,
                                             "people_train_size": 4, "test_size": 8, "annotators_per_item": 2},
                         user=admin_user)
    tests = sorted(study.test_ids)  # 4 pairs, orders adjacent: (0,1) (2,3) ...
    # person0: right on every pair, labeling the first order of pairs 0-1 and the second order of pairs 2-3
    for i, pk in enumerate([tests[0], tests[2], tests[5], tests[7]]):
        label(p0, pk, gold(pk))
    # person1: right on pair 0 and wrong on pairs 1-2 (by the second order), no label on pair 3
    label(p1, tests[0], gold(tests[0]))
    label(p1, tests[3], not gold(tests[3]))
    label(p1, tests[5], not gold(tests[5]))
    study.run = completed_run(ds, "train")
    study.save(update_fields=["run"])
    completed_evaluation(study)
    return study


def _rows(data):
    return {r["key"]: r for r in data["rows"]}


def test_annotators_majority_and_conditions(finished):
    data = study_results(finished)
    rows = data["rows"]
    assert [r["group"] for r in rows] == ["annotator", "annotator", "people", *["condition"] * 5]
    a0, a1 = rows[0], rows[1]
    assert (a0["name"], a0["correct"], a0["n"], a0["accuracy"]) == ("person0", 4, 4, 1.0)
    assert (a1["name"], a1["correct"], a1["n"]) == ("person1", 1, 3)
    assert (a1["ci_low"], a1["ci_high"]) == pytest.approx(wilson_interval(1, 3))
    majority = rows[2]
    # pair 0: both right; pairs 1-2: a tie (left out); pair 3: person0 alone, right
    assert (majority["correct"], majority["n"], majority["ties"]) == (2, 2, 2)
    assert [r["kind"] for r in rows[3:]] == ["zero-shot", "zero-shot-chat", "people", "icm", "gold"]
    icm = _rows(data)[f"run:{finished.run_id}"]
    assert (icm["accuracy"], icm["ci_low"], icm["ci_high"], icm["n"]) == (0.75, 0.65, 0.85, 8)
    assert "run:999999" not in _rows(data)  # another run of the dataset is not this study's
    assert data["verdict"].startswith("ICM run's labels beat")


def test_svg_has_every_row_escaped_with_a_linear_axis(finished):
    svg = render_svg(study_results(finished))
    assert svg.startswith("<svg") and "Tiny &lt;gender&gt; study" in svg
    for name in ("person0", "person1", "People's majority", "Zero-shot chat", "Many-shot, gold labels"):
        assert name in svg
    assert svg.count('class="row"') == 8
    for tick in ("0%", "20%", "40%", "60%", "80%", "100%"):
        assert f">{tick}</text>" in svg
    assert "75% [65%–85%], n = 8" in svg


def test_downloads_for_reviewers_not_for_annotators(finished, client, django_user_model):
    reviewer = django_user_model.objects.create_user("rev", password="pw-123456789")
    Membership.objects.create(user=reviewer, dataset=finished.dataset, role=Membership.Role.REVIEWER)
    client.force_login(reviewer)
    page = client.get(reverse("studies:detail", args=[finished.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "ICM run&#x27;s labels beat" in body and "<svg" in body and 'id="download-png"' in body
    assert 'data-action="start_icm"' not in body  # reviewers read; admins start
    svg = client.get(reverse("studies:figure_svg", args=[finished.pk]) + "?download=1")
    assert svg["Content-Type"] == "image/svg+xml" and "attachment" in svg["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("studies:results_csv", args=[finished.pk])).content.decode())))
    assert [r["name"] for r in rows][:3] == ["person0", "person1", "People's majority"]
    assert rows[0]["accuracy"] == "1.0" and rows[0]["n"] == "4"
    data = json.loads(client.get(reverse("studies:results_json", args=[finished.pk])).content)
    assert data["verdict"] and len(data["rows"]) == 8
    annotator = django_user_model.objects.get(username="person0")
    client.force_login(annotator)
    for name in ("detail", "figure_svg", "results_csv", "results_json", "state"):
        assert client.get(reverse(f"studies:{name}", args=[finished.pk])).status_code == 404


def test_results_not_before_the_evaluation(admin_user, client):
    ds = pairs_dataset(train_pairs=4, test_pairs=2)
    people(ds, 1)
    study = create_study(ds, "blog-gender", {"name": "early", "icm_pool_size": 4, "people_train_size": 2,
                                             "test_size": 2, "annotators_per_item": 1}, user=admin_user)
    client.force_login(admin_user)
    assert client.get(reverse("studies:results_csv", args=[study.pk])).status_code == 404
    page = client.get(reverse("studies:detail", args=[study.pk])).content.decode()
    assert "Estimated time:" in page and 'data-action="open_labeling"' in page and "<svg" not in page
    state = client.get(reverse("studies:state", args=[study.pk])).json()
    assert [s["state"] for s in state["steps"]] == ["ready", "ready", "waiting", "waiting"]
    response = client.post(reverse("studies:act", args=[study.pk, "start_evaluation"]), follow=True)
    assert "Waits for the people" in response.content.decode()


def test_every_row_states_its_unit_and_the_downloads_state_the_design(finished):
    data = study_results(finished)
    rows = data["rows"]
    assert {r["unit"] for r in rows if r["group"] != "condition"} == {"pairs"}  # a person judges a pair once
    assert {r["unit"] for r in rows if r["group"] == "condition"} == {"examples (pair orders)"}
    assert _rows(data)["people-majority"]["ties"] == 2
    design = data["design"]
    assert (design["icm_pool_examples"], design["test_examples"], design["annotators_per_item"]) == (8, 8, 2)
    assert design["model"] == "smollm2" and design["iterations"] == finished.settings["iterations"]
    assert "k = 2 people per item" in data["caption"] and "people read whole posts" in data["caption"]
    svg = render_svg(data)
    assert "n = 4 pairs" in svg and "n = 8 examples, 8 demos/repeat" in svg and "2 ties left out" in svg
    assert "Design (" in svg and "Broken pairs" in svg
    table = results_csv(data)
    assert "\r\nannotators_per_item,2\r\n" in table and "\r\nicm_pool_seed,0\r\n" in table
    assert next(csv.DictReader(io.StringIO(table)))["unit"] == "pairs"
