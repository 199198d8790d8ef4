"""The dashboard's numbers on the alpaca preset (real crowd votes), a completed ICM run, three annotators
and a completed evaluation, checked against independent computations: scikit-learn, the `krippendorff`
package, a textbook Fleiss' kappa written out here, and hand formulas."""
import json
import re
from collections import defaultdict

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from sklearn.metrics import confusion_matrix as sk_confusion

from studio.models import ElicitedLabel, Evaluation, Example, GoldLabel, HumanLabel
from studio.services import metrics, review
from tests.review import factories

pytestmark = pytest.mark.django_db


def _gold(ds, split):
    return dict(GoldLabel.objects.filter(example__dataset=ds, example__split=split).values_list("example_id", "label"))


def _votes(ds, split, source):
    votes = defaultdict(list)
    for ex, label in HumanLabel.objects.filter(example__dataset=ds, example__split=split, source=source).values_list(
            "example_id", "label"):
        votes[ex].append(label)
    return votes


def _majority(votes):
    out, ties = {}, 0
    for ex, vs in votes.items():
        t, f = sum(vs), len(vs) - sum(vs)
        if t == f:
            ties += 1
        else:
            out[ex] = t > f
    return out, ties


def _labels_by_source(r):
    ds = r.dataset
    labels = {f"run:{r.run.pk}": dict(ElicitedLabel.objects.filter(run=r.run, example__split="test", label__isnull=False)
                                      .values_list("example_id", "label"))}
    labels["people"], people_ties = _majority(_votes(ds, "test", HumanLabel.Source.ANNOTATOR))
    labels["crowd"], crowd_ties = _majority(_votes(ds, "test", HumanLabel.Source.CROWD))
    for u in r.users:
        labels[f"annotator:{u.pk}"] = dict(HumanLabel.objects.filter(annotator=u, example__split="test")
                                           .values_list("example_id", "label"))
    return labels, people_ties, crowd_ties


def test_the_alpaca_preset_brings_real_crowd_votes(reviewed):
    ds = reviewed.dataset
    assert Example.objects.filter(dataset=ds).count() == 934
    # 1,869 votes on the first row of each of the 467 pairs, imported on both orders of the pair
    assert HumanLabel.objects.filter(example__dataset=ds, source=HumanLabel.Source.CROWD).count() == 3738
    assert set(review.dataset_splits(ds)) == {"train", "test"}


def test_each_source_accuracy_interval_and_confusion_match_independent_counts(reviewed):
    data = review.dashboard(reviewed.dataset, "test", min_labels=10)
    gold = _gold(reviewed.dataset, "test")
    labels, people_ties, crowd_ties = _labels_by_source(reviewed)
    rows = {s["key"]: s for s in data["sources"]}
    assert set(rows) == set(labels), "every label source is listed: the run, people, crowd, 3 annotators"
    assert data["n_examples"] == Example.objects.filter(dataset=reviewed.dataset, split="test").count()
    for key, lab in labels.items():
        ids = [i for i in lab if i in gold]
        y_true = [gold[i] for i in ids]
        y_pred = [lab[i] for i in ids]
        correct = sum(t == p for t, p in zip(y_true, y_pred))
        row = rows[key]
        assert row["labeled"] == len(lab), key
        assert row["accuracy"]["correct"] == correct and row["accuracy"]["n"] == len(ids), key
        assert row["accuracy"]["accuracy"] == pytest.approx(correct / len(ids))
        lo, hi = metrics.wilson_interval(correct, len(ids))
        assert (row["accuracy"]["ci_low"], row["accuracy"]["ci_high"]) == pytest.approx((lo, hi))
        assert row["confusion"]["matrix"] == sk_confusion(y_true, y_pred, labels=[False, True]).tolist(), key
    assert rows["people"]["ties"] == people_ties and people_ties > 0, "ties are reported, not broken"
    assert rows["people"]["labeled"] == rows["people"]["voted"] - people_ties
    # the file's gold label is the majority of its crowd votes (no ties): the crowd's majority is 100% right
    assert rows["crowd"]["accuracy"]["accuracy"] == 1.0 and rows["crowd"]["coverage"] == 1.0 and crowd_ties == 0


def test_kappa_matrix_matches_sklearn_on_examples_both_sources_labeled(reviewed):
    data = review.dashboard(reviewed.dataset, "test", min_labels=10)
    labels, _, _ = _labels_by_source(reviewed)
    keys = data["kappa"]["keys"]
    assert set(keys) == set(labels)
    checked = 0
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            if i == j:
                continue
            common = sorted(set(labels[a]) & set(labels[b]))
            cell = data["kappa"]["matrix"][i][j]
            assert cell["n"] == len(common), (a, b)
            ya, yb = [labels[a][x] for x in common], [labels[b][x] for x in common]
            if len(set(ya)) > 1 or len(set(yb)) > 1:
                assert cell["kappa"] == pytest.approx(cohen_kappa_score(ya, yb), abs=1e-12), (a, b)
                checked += 1
    assert checked == len(keys) * (len(keys) - 1) == 30  # the run, people, crowd, 3 annotators


def _fleiss_textbook(units):
    """Fleiss (1971), written out per unit for an independent check (binary, variable raters per unit)."""
    units = [u for u in units if sum(u) >= 2]
    p_i = [sum(c * (c - 1) for c in u) / (sum(u) * (sum(u) - 1)) for u in units]
    total = sum(sum(u) for u in units)
    p_j = [sum(u[j] for u in units) / total for j in range(2)]
    p_bar, p_e = sum(p_i) / len(p_i), sum(p * p for p in p_j)
    return (p_bar - p_e) / (1 - p_e)


@pytest.mark.parametrize("kind,key", [(HumanLabel.Source.CROWD, "crowd"), (HumanLabel.Source.ANNOTATOR, "people")])
def test_fleiss_and_krippendorff_among_raters_match_independent_computations(reviewed, kind, key):
    data = review.dashboard(reviewed.dataset, "test")
    ag = data["agreement"][key]
    rows = list(HumanLabel.objects.filter(example__dataset=reviewed.dataset, example__split="test", source=kind)
                .values_list("example_id", "annotator_id", "crowd_voter", "label"))
    raters = sorted({a if kind == HumanLabel.Source.ANNOTATOR else c for _, a, c, _ in rows})
    examples = sorted({e for e, *_ in rows})
    matrix = np.full((len(raters), len(examples)), np.nan)
    for e, a, c, label in rows:
        matrix[raters.index(a if kind == HumanLabel.Source.ANNOTATOR else c), examples.index(e)] = float(label)
    assert ag["raters"] == len(raters) and ag["items"] == len(examples) and ag["votes"] == len(rows)
    units = [[int((col == 0).sum()), int((col == 1).sum())] for col in matrix.T]
    assert ag["fleiss_kappa"] == pytest.approx(_fleiss_textbook(units), abs=1e-12)
    expected_alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert ag["krippendorff_alpha"] == pytest.approx(expected_alpha, abs=1e-12)
    if kind == HumanLabel.Source.CROWD:
        assert ag["raters"] == 5  # vote positions 1-5 (one pair has a fifth vote); not people


def test_paper_bars_and_gap_recovered_from_the_evaluation(reviewed):
    cmp = review.dashboard(reviewed.dataset, "test")["comparison"]
    res = reviewed.evaluation.results
    gold = _gold(reviewed.dataset, "test")
    acc = {}
    for entry in res["sources"]:
        correct = [p == gold[i] for i, p in zip(res["example_ids"], entry["predictions"])]
        acc[entry["kind"]] = (correct, sum(correct) / len(correct))
    bars = {b["kind"]: b for b in cmp["bars"]}
    assert [b["kind"] for b in cmp["bars"]] == ["zero-shot", "random", "people", "icm", "gold"]  # the paper's order
    for kind, (_, a) in acc.items():
        assert bars[kind]["accuracy"] == pytest.approx(a)
    gaps = {g["against"]: g for g in cmp["gap_recovered"]}
    icm, gold_acc = acc["icm"][1], acc["gold"][1]
    for weak in ("people", "zero-shot"):
        w = acc[weak][1]
        assert gold_acc - w >= 0.05
        assert gaps[weak]["value"] == pytest.approx((icm - w) / (gold_acc - w))
        assert gaps[weak]["ci_low"] < gaps[weak]["value"] < gaps[weak]["ci_high"]
        again = metrics.bootstrap_gap_recovered(acc["icm"][0], acc[weak][0], acc["gold"][0], n_boot=2000,
                                                seed=reviewed.evaluation.config["seed"])
        assert (gaps[weak]["ci_low"], gaps[weak]["ci_high"]) == pytest.approx((again["ci_low"], again["ci_high"]))


def test_gap_under_five_points_is_shown_as_not_meaningful(reviewed, client, admin_user):
    Evaluation.objects.all().delete()
    factories.evaluation_with_results(reviewed.dataset, [reviewed.run], n_test=200,
                                      accuracies={"zero-shot": 0.5, "random": 0.5, "people": 0.8, "gold": 0.82},
                                      seed=4)
    cmp = review.dashboard(reviewed.dataset, "test")["comparison"]
    people_gap = next(g for g in cmp["gap_recovered"] if g["against"] == "people")
    bars = {b["kind"]: b["accuracy"] for b in cmp["bars"]}
    assert bars["gold"] - bars["people"] == pytest.approx(0.02)  # 164/200 against 160/200
    assert people_gap["meaningful"] is False and people_gap["value"] is None and people_gap["ci_low"] is None
    assert "not meaningful: gold − people is 2.0 points" in people_gap["note"]
    zero_gap = next(g for g in cmp["gap_recovered"] if g["against"] == "zero-shot")
    assert zero_gap["meaningful"] is True
    client.force_login(admin_user)
    html = client.get(f"/review/{reviewed.dataset.slug}/").content.decode()
    row = re.search(r'data-gap="[^"]*\|people">(.*?)</tr>', html, re.S).group(1)
    assert "not meaningful" in row


def test_dashboard_page_shows_the_numbers_and_serves_the_same_dict(reviewed, client, admin_user):
    client.force_login(admin_user)
    response = client.get(f"/review/{reviewed.dataset.slug}/?split=test")
    assert response.status_code == 200
    html = response.content.decode()
    data = review.dashboard(reviewed.dataset, "test")
    embedded = json.loads(re.search(r'<script id="review-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert embedded["sources"] == json.loads(json.dumps(data["sources"]))
    for s in data["sources"]:
        row = re.search(rf'<tr data-source="{re.escape(s["key"])}">(.*?)</table></td>\s*</tr>', html, re.S).group(1)
        assert f'{100 * s["accuracy"]["accuracy"]:.1f}%' in row
        assert f'[{100 * s["accuracy"]["ci_low"]:.1f}, {100 * s["accuracy"]["ci_high"]:.1f}]' in row
        assert f'>{s["confusion"]["tp"]}<' in row and f'>{s["confusion"]["tn"]}<' in row
    crowd = re.search(r'<tr data-raters="crowd">(.*?)</tr>', html, re.S).group(1)
    assert f'{data["agreement"]["crowd"]["fleiss_kappa"]:.3f}' in crowd
    assert f'{data["agreement"]["crowd"]["krippendorff_alpha"]:.3f}' in crowd
    assert 'id="comparison-chart"' in html and 'id="kappa-matrix"' in html
    api = client.get(f"/review/{reviewed.dataset.slug}/dashboard.json?split=test").json()
    assert api["kappa"] == json.loads(json.dumps(data["kappa"]))


def test_annotators_below_the_minimum_are_not_sources(reviewed):
    data = review.dashboard(reviewed.dataset, "test", min_labels=100)
    keys = {s["key"] for s in data["sources"]}
    # two annotators labeled 150 test examples, the third 80
    assert f"annotator:{reviewed.users[2].pk}" not in keys and f"annotator:{reviewed.users[0].pk}" in keys
    assert data["annotators_below_minimum"] == 1


def test_unknown_split_is_refused_with_the_splits_named(reviewed, client, admin_user):
    with pytest.raises(review.ReviewError, match="no split 'dev'; its splits: 'test', 'train'"):
        review.dashboard(reviewed.dataset, "dev")
    client.force_login(admin_user)
    response = client.get(f"/review/{reviewed.dataset.slug}/?split=dev")
    assert response.status_code == 400 and b"no split &#x27;dev&#x27;" in response.content
