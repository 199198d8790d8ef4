"""The dashboard's people's filter ("annotators with at least REVIEW_MIN_ANNOTATOR_LABELS labels") is kept on
write like the other aggregates: newcomers below the minimum never send the dashboard into a count over every
vote, an annotator crossing the minimum adds their votes once (and an undo below it takes them out), and a
filter that leaves nobody means "no people's votes", never an error page."""
import pytest
from django.test import override_settings

from studio.services import review, tallies
from studio.services.annotation import next_example, submit_label, undo_last
from studio.services.review import counting

from ..annotation.factories import make_annotator, make_dataset
from ..annotation.test_pairs import make_pairs


def _people(data: dict) -> dict:
    return next(r for r in data["sources"] if r["key"] == "people")


def _label(user, ds, n: int, answer=lambda e: e.position % 3 == 0) -> None:
    for _ in range(n):
        example = next_example(user, ds)
        submit_label(user, example, answer(example), 1.0)


def _one_pass(ds, split: str, minimum: int) -> dict:
    """The filtered people's cells counted from scratch, as the dashboard did before they were kept."""
    sources = review.label_sources(ds, split, min_labels=minimum)
    eligible = review.majority.eligible_annotators(ds, split, minimum)
    return counting.count_everything(ds, split, sources, sources, people_annotators=eligible)


@pytest.mark.django_db
@pytest.mark.parametrize("pairs", [False, True], ids=["claims", "comparison-pairs"])
def test_the_filtered_majority_is_read_from_kept_cells_as_people_cross_the_minimum(monkeypatch, pairs):
    with override_settings(REVIEW_MIN_ANNOTATOR_LABELS=3):
        if pairs:
            ds = make_pairs("Filtered pairs", pairs=8, overlap=4)
        else:
            ds = make_dataset("Filtered", n=16, overlap=4, gold=lambda e: e.position % 2 == 0)
        split = "train"
        steady, crossing, newcomer = (make_annotator(name, ds) for name in ("steady", "crossing", "newcomer"))
        _label(steady, ds, 5)
        _label(newcomer, ds, 1, answer=lambda e: True)
        _label(crossing, ds, 2, answer=lambda e: False)  # below the minimum: not counted yet
        with monkeypatch.context() as m:  # the dashboard never counts from scratch
            m.setattr(counting, "count_everything", lambda *a, **k: pytest.fail("a full count"))
            before = review.dashboard(ds, split)
        assert before["annotators_below_minimum"] == 2
        assert tallies.check(ds).cells == {}
        assert _people(before)["labeled"] == _one_pass(ds, split, 3)["per_source"]["people"]["labeled"]

        _label(crossing, ds, 1, answer=lambda e: False)  # the third label: their three votes now count
        with monkeypatch.context() as m:
            m.setattr(counting, "count_everything", lambda *a, **k: pytest.fail("a full count"))
            after = review.dashboard(ds, split)
        assert after["annotators_below_minimum"] == 1
        diff = tallies.check(ds)
        assert not diff, "\n".join(diff.lines())
        counted = _one_pass(ds, split, 3)
        kept = counting.count_from_tallies(tallies.split_cells(ds.pk, split), review.label_sources(ds, split),
                                           review.label_sources(ds, split), people_filter=3)
        assert kept["per_source"]["people"] == counted["per_source"]["people"]
        assert kept["pairs"] == counted["pairs"]
        assert _people(after) != _people(before)  # crossing's three "False" votes changed the majority

        undo_last(crossing, ds)  # back below the minimum: their votes leave the filtered majority again
        assert not tallies.check(ds)
        assert counting.count_from_tallies(tallies.split_cells(ds.pk, split), review.label_sources(ds, split),
                                           review.label_sources(ds, split), people_filter=3)["per_source"]["people"] \
            == _one_pass(ds, split, 3)["per_source"]["people"]


@pytest.mark.django_db
def test_a_comparison_dataset_with_only_newcomers_shows_its_dashboard_and_metrics(admin_client):
    """The start of every study: two people labeled a pair or two, nobody has ten labels yet. The pages answered
    500 (EmptyResultSet) until someone reached the minimum."""
    ds = make_pairs("Fresh pairs", pairs=6, overlap=2)
    for name in ("first", "second"):
        _label(make_annotator(name, ds), ds, 2, answer=lambda e: e.key == "A>B")
    for url in (f"/review/{ds.slug}/", f"/review/{ds.slug}/dashboard.json", f"/api/datasets/{ds.pk}/metrics/"):
        response = admin_client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
    data = admin_client.get(f"/api/datasets/{ds.pk}/metrics/").json()
    assert data["annotators_below_minimum"] == 2
    assert _people(data)["labeled"] == 0  # the filter leaves nobody: no people's votes
    # another minimum that leaves nobody is no error either
    assert admin_client.get(f"/review/{ds.slug}/dashboard.json?min_labels=50").status_code == 200


@pytest.mark.django_db
def test_a_runs_filled_labels_are_scored_from_kept_cells(monkeypatch):
    """The by-kind rows (elicited / filled / all) read the run's filled labels from the tallies: no aggregate per
    run over its labels on every dashboard view (it grew with the dataset: 500 of 614 ms of SQL at 50,000)."""
    from studio.services.review import kinds

    from . import factories

    ds = factories.alpaca_like(pairs=40, name="kept-filled")
    run = factories.completed_run(ds, "", accuracy=0.9, filled=0.3, filled_accuracy=0.55, unlabeled=0.05, seed=4,
                                  batch_size=32)
    expected = kinds._filled_counts(ds, "test", run.pk)
    assert expected["labeled"] > 0
    with monkeypatch.context() as m:
        m.setattr(kinds, "_filled_counts", lambda *a, **k: pytest.fail("an aggregate over the run's labels"))
        data = review.dashboard(ds, "test")
    (row,) = [s for s in data["sources"] if s["key"] == f"run:{run.pk}"]
    filled = row["by_kind"]["filled"]
    assert filled["labeled"] == expected["labeled"]
    assert (filled["vs_gold"]["correct"], filled["vs_gold"]["n"]) == (expected["gold_correct"], expected["gold_n"])
    assert not tallies.check(ds)
