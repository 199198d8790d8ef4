"""Filled labels in review: a run's labels are elicited (by the ICM search) or filled (the model's prediction
after it). Every page that shows a run's label marks the filled ones, and the numbers that score a run against
gold and against the people's majority come for elicited and filled labels apart as well as together, each
with its n and 95% Wilson interval — checked against a direct count over the stored labels."""
import re
from types import SimpleNamespace

import pytest

from studio.models import ElicitedLabel, Example, GoldLabel
from studio.services import metrics, review
from studio.services.runs.settling import _summarize
from tests.review import factories

pytestmark = pytest.mark.django_db
BADGE = 'class="kind label-kind-filled"'


@pytest.fixture
def filled_world(db):
    """120 alpaca pairs; a run whose search got 90% right and whose filled labels (about 30%) only 55%; two
    annotators on 80 test examples."""
    ds = factories.alpaca_like(pairs=120, name="alpaca-filled")
    run = factories.completed_run(ds, "", accuracy=0.9, filled=0.3, filled_accuracy=0.55, unlabeled=0.05, seed=4,
                                  batch_size=64)
    users = factories.annotators(2, prefix="kind")
    test_ids = list(Example.objects.filter(dataset=ds, split="test").order_by("position").values_list("pk", flat=True))
    factories.annotate(ds, users, test_ids[:80], accuracy=0.8, seed=5)
    return SimpleNamespace(dataset=ds, run=run, test_ids=test_ids)


def _expected(run, split):
    """{kind: (labeled, gold correct, gold n, people agree, people n)} counted straight from the rows."""
    out = {k: [0, 0, 0, 0, 0] for k in ("elicited", "filled", "all")}
    rows = ElicitedLabel.objects.filter(run=run, example__split=split, label__isnull=False).values_list(
        "kind", "label", "example_id", "example__people_true", "example__people_false")
    gold = dict(GoldLabel.objects.filter(example__split=split, example__dataset=run.dataset)
                .values_list("example_id", "label"))
    for kind, label, ex, t, f in rows:
        for k in (kind, "all"):
            c = out[k]
            c[0] += 1
            if ex in gold:
                c[1] += label == gold[ex]
                c[2] += 1
            if t != f:
                c[3] += label == (t > f)
                c[4] += 1
    return out


def test_the_dashboard_scores_elicited_and_filled_labels_apart(filled_world, client, admin_user):
    data = review.dashboard(filled_world.dataset, "test")
    (row,) = [s for s in data["sources"] if s["key"] == f"run:{filled_world.run.pk}"]
    expected = _expected(filled_world.run, "test")
    assert expected["filled"][0] > 20 and expected["elicited"][0] > 40  # both kinds are really there
    for kind, (labeled, gold_ok, gold_n, people_ok, people_n) in expected.items():
        part = row["by_kind"][kind]
        assert part["labeled"] == labeled
        low, high = metrics.wilson_interval(gold_ok, gold_n)
        assert part["vs_gold"] == {"correct": gold_ok, "n": gold_n, "accuracy": gold_ok / gold_n,
                                   "ci_low": low, "ci_high": high}
        low, high = metrics.wilson_interval(people_ok, people_n)
        assert part["vs_people"] == {"correct": people_ok, "n": people_n, "accuracy": people_ok / people_n,
                                     "ci_low": low, "ci_high": high}
    # together is the row's own accuracy; the search's labels are clearly better than the filled ones
    assert row["by_kind"]["all"]["vs_gold"] == row["accuracy"]
    assert row["by_kind"]["elicited"]["vs_gold"]["accuracy"] > row["by_kind"]["filled"]["vs_gold"]["accuracy"] + 0.15

    client.force_login(admin_user)
    html = client.get(f"/review/{filled_world.dataset.slug}/?split=test").content.decode()
    table = re.search(rf'data-kinds-of="run:{filled_world.run.pk}">(.*?)</table>', html, re.S).group(1)
    filled = re.search(r'<tr data-kind="filled">(.*?)</tr>', table, re.S).group(1)
    part = row["by_kind"]["filled"]
    assert BADGE in filled and f'{100 * part["vs_gold"]["accuracy"]:.1f}%' in filled
    assert f'{part["vs_gold"]["correct"]}/{part["vs_gold"]["n"]}' in filled
    assert f'[{100 * part["vs_gold"]["ci_low"]:.1f}, {100 * part["vs_gold"]["ci_high"]:.1f}]' in filled
    assert f'{part["vs_people"]["correct"]}/{part["vs_people"]["n"]}' in filled


def test_a_run_that_filled_nothing_has_only_elicited_labels(filled_world):
    plain = factories.completed_run(filled_world.dataset, "test", accuracy=0.8, seed=9)
    data = review.dashboard(filled_world.dataset, "test")
    (row,) = [s for s in data["sources"] if s["key"] == f"run:{plain.pk}"]
    assert row["by_kind"]["filled"]["labeled"] == 0 and row["by_kind"]["filled"]["vs_gold"]["n"] == 0
    assert row["by_kind"]["elicited"] == row["by_kind"]["all"]
    assert row["by_kind"]["all"]["vs_gold"] == row["accuracy"]


def test_disagreements_mark_the_runs_filled_labels(filled_world, client, admin_user):
    ds, run = filled_world.dataset, filled_world.run
    page = review.disagreements(ds, "test", f"run:{run.pk}", "crowd", limit=500)
    kinds = dict(ElicitedLabel.objects.filter(run=run).values_list("example_id", "kind"))
    assert {r["a_kind"] for r in page["rows"]} == {"elicited", "filled"}
    assert all(r["a_kind"] == kinds[r["example_id"]] and r["b_kind"] is None for r in page["rows"])

    client.force_login(admin_user)
    html = client.get(f"/review/{ds.slug}/disagreements/?split=test&a=run:{run.pk}&b=crowd&limit=500").content.decode()
    for r in page["rows"]:
        row = re.search(rf'<tr data-example="{r["example_id"]}">(.*?)</tr>', html, re.S).group(1)
        assert (BADGE in row) == (r["a_kind"] == "filled"), r


def test_the_example_page_says_the_runs_label_was_filled(filled_world, client, admin_user):
    run = filled_world.run
    filled = ElicitedLabel.objects.filter(run=run, kind="filled").select_related("example").first()
    elicited = ElicitedLabel.objects.filter(run=run, kind="elicited").select_related("example").first()
    client.force_login(admin_user)
    for el, shown in ((filled, True), (elicited, False)):
        detail = review.example_detail(el.example)
        assert [(e["kind"], e["batch"]) for e in detail["elicited_labels"]] == [(el.kind, el.batch)]
        html = client.get(f"/review/{filled_world.dataset.slug}/examples/{el.example_id}/").content.decode()
        table = re.search(r'<table class="grid" id="elicited">(.*?)</table>', html, re.S).group(1)
        assert (BADGE in table) == shown and f"batch {el.batch}" in table


def test_the_run_page_counts_and_scores_filled_labels_apart(filled_world, client, admin_user):
    run = filled_world.run
    _summarize(run.pk)  # what settling writes when the run's batches finish
    run.refresh_from_db()
    acc = run.summary["accuracy_vs_gold"]
    client.force_login(admin_user)
    html = client.get(f"/runs/{run.pk}/results/").content.decode()
    counts = run.summary["label_counts"]
    assert f'{counts["filled"]} filled' in html and f'{counts["elicited"]} elicited' in html
    table = html[html.index('id="accuracy-vs-gold"'):]
    shown = re.search(r'<tr data-kind="filled">(.*?)</tr>', table, re.S).group(1)
    assert f'{100 * acc["filled"]["accuracy"]:.1f}%' in shown and f'{acc["filled"]["correct"]} / {acc["filled"]["n"]}' in shown
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>.*?</tr>", html.split('id="labels-table"')[1], re.S)
    marked = {m for m in re.findall(r"<tr>\s*<td>([^<]+)</td>(?:(?!</tr>).)*" + re.escape(BADGE), html, re.S)}
    first = ElicitedLabel.objects.filter(run=run).order_by("example__position", "example_id")[: len(rows)]
    assert marked == {el.example.external_id for el in first if el.kind == "filled"} and marked
