"""The blog-gender study's results with the trained measure (issue 22): the page, the figure (SVG), the CSV and
the JSON carry a row per trained condition — "trained on people's / ICM's / gold labels", a reward model on this
comparison dataset — after the in-context rows, with the evaluation's intervals and n; the verdict says it comes
from the trained measure; a study's evaluation asks for both measures."""
import csv
import io
import json

import pytest
from django.urls import reverse

from studio.services.studies import evaluation_options, render_svg, study_results
from tests.studies.factories import condition
from tests.studies.test_results import finished  # noqa: F401  (the tiny gender study with a completed evaluation)

pytestmark = pytest.mark.django_db

VERDICT = ("Trained measure (probe): A reward model (probe) trained on ICM run 1's labels beats a reward model "
           "(probe) trained on the people's labels by 25.0 points")


def _trained(key, kind, mean, lo, hi, n, run_id=None):
    return {**condition(key, kind, f"Reward model (probe) trained on {kind}", mean, lo, hi, n, run_id=run_id),
            "measure": "trained", "trainer": "probe", "reward_model": True, "n_demos": 0, "n_train": [8]}


@pytest.fixture
def trained_study(finished):  # noqa: F811
    ev = finished.evaluation
    n, run_id = len(finished.test_ids), finished.run_id
    ev.results = {**ev.results, "verdict": VERDICT, "verdict_measure": "trained", "conditions": [
        *ev.results["conditions"],
        _trained("trained:people", "people", 0.55, 0.45, 0.65, n),
        _trained(f"trained:run:{run_id}", "icm", 0.8, 0.7, 0.9, n, run_id=run_id),
        _trained("trained:gold", "gold", 0.875, 0.75, 1.0, n),
        _trained("trained:run:999999", "icm", 0.1, 0.0, 0.2, n, run_id=999999),
    ]}
    ev.save(update_fields=["results"])
    return finished


def test_the_trained_rows_follow_the_in_context_ones(trained_study):
    data = study_results(trained_study)
    rows = data["rows"]
    kinds = [(r.get("measure", "in-context"), r.get("kind")) for r in rows if r["group"] == "condition"]
    assert kinds == [("in-context", "zero-shot"), ("in-context", "zero-shot-chat"), ("in-context", "people"),
                     ("in-context", "icm"), ("in-context", "gold"),
                     ("trained", "people"), ("trained", "icm"), ("trained", "gold")]
    trained = [r for r in rows if r.get("measure") == "trained"]
    assert [r["name"] for r in trained] == [
        "Trained on people's labels (reward model, probe)",
        f"Trained on ICM's labels (reward model, probe, run #{trained_study.run_id})",
        "Trained on gold labels (reward model, probe)"]
    assert (trained[2]["accuracy"], trained[2]["ci_low"], trained[2]["ci_high"], trained[2]["n"]) == (0.875, 0.75, 1.0, 8)
    assert data["verdict"].startswith("Trained measure (probe): ")
    svg = render_svg(data)
    assert "Trained on gold labels (reward model, probe)" in svg and "88% [75%–100%], n = 8" in svg
    assert svg.count('class="row"') == 11


def test_the_page_and_downloads_carry_the_trained_rows(trained_study, client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("studies:detail", args=[trained_study.pk])).content.decode()
    assert "Trained on ICM&#x27;s labels (reward model, probe" in page and "Trained measure (probe)" in page
    rows = list(csv.DictReader(io.StringIO(
        client.get(reverse("studies:results_csv", args=[trained_study.pk])).content.decode())))
    trained = [r for r in rows if r["key"].startswith("trained:")]
    assert [r["name"].split(" (")[0] for r in trained] == ["Trained on people's labels", "Trained on ICM's labels",
                                                            "Trained on gold labels"]
    assert trained[-1]["accuracy"] == "0.875" and trained[-1]["n"] == "8"
    data = json.loads(client.get(reverse("studies:results_json", args=[trained_study.pk])).content)
    assert [r["key"] for r in data["rows"] if r.get("measure") == "trained"] == [
        "trained:people", f"trained:run:{trained_study.run_id}", "trained:gold"]
    svg = client.get(reverse("studies:figure_svg", args=[trained_study.pk])).content.decode()
    assert "Trained on people&#x27;s labels" in svg or "Trained on people's labels" in svg


def test_a_studys_evaluation_asks_for_both_measures(trained_study):
    assert evaluation_options(trained_study)["measures"] == ["in-context", "trained"]
