"""Opening an adjudication, answering it, and what it never touches (gold, people's votes, ICM)."""
import pytest

from studio.models import AdjudicationItem, ElicitedLabel, Example, GoldLabel, HumanLabel, Tally
from studio.services import adjudication
from studio.services.adjudication import AdjudicationError
from studio.services.review.sources import runs_for_split
from tests.review import factories


def _open(w, **options):
    return adjudication.open_adjudication(w.dataset, {"split": "test", **options}, user=w.admin)


def test_opening_draws_a_seeded_mixed_sample_of_the_budget(world):
    adj = _open(world, budget=20)
    assert (adj.source_a, adj.source_b) == (f"run:{world.run.pk}", "crowd")  # defaults: newest run vs the crowd
    items = list(adj.items.order_by("order"))
    assert len(items) == 20 == adj.budget
    strata = [i.stratum for i in items]
    n_d = min(16, adj.n_disagree)  # 80% of the budget, or all of D when it is smaller
    assert adj.n_disagree >= 8 and strata.count("disagree") == n_d and strata.count("agree") == 20 - n_d
    assert all((i.label_a != i.label_b) == (i.stratum == "disagree") for i in items)
    assert {round(i.weight, 6) for i in items if i.stratum == "disagree"} == {round(adj.n_disagree / n_d, 6)}
    assert adj.n_items == Example.objects.filter(dataset=world.dataset, split="test").count()
    again = _open(world, budget=20)
    assert [i.example_id for i in again.items.order_by("order")] == [i.example_id for i in items]
    other = _open(world, budget=20, seed=5)
    assert [i.example_id for i in other.items.order_by("order")] != [i.example_id for i in items]


BAD = [
    ({"budget": 0}, "budget", "whole number from 1"),
    ({"budget": -3}, "budget", "whole number from 1"),
    ({"budget": "lots"}, "budget", "'lots'"),
    ({"budget": 2.5}, "budget", "2.5"),
    ({"budget": float("inf")}, "budget", "inf"),
    ({"budget": [3]}, "budget", "[3]"),
    ({"source_a": "run:" + "9" * 30}, "source_a", "no label source"),
    ({"budget": 10**6}, "budget", "10000"),
    ({"share_disagreements": 1.5}, "share_disagreements", "from 0 to 1"),
    ({"share_disagreements": 0}, "share_disagreements", "above 0"),
    ({"target_half_width": 0}, "target_half_width", "0.001"),
    ({"source_a": "run:9999"}, "source_a", "run:9999"),
    ({"source_b": "annotator:12345"}, "source_b", "annotator:12345"),
    ({"source_b": "oracle"}, "source_b", "oracle"),
    ({"source_a": "crowd", "source_b": "crowd"}, "source_b", "same source"),
    ({"split": "nope"}, "split", "'nope'"),
    ({"budgett": 3}, "budgett", "Unknown option"),
]


def test_bad_options_are_refused_by_name_and_nothing_is_opened(world):
    for options, field, words in BAD:
        with pytest.raises(AdjudicationError) as err:
            _open(world, **options)
        assert err.value.field == field and words in err.value.message, (options, err.value.message)
    assert not AdjudicationItem.objects.exists()


def test_a_split_without_disagreements_is_refused(world):
    twin = factories.completed_run(world.dataset, "", accuracy=0.8, seed=1)  # the same labels as world.run
    with pytest.raises(AdjudicationError) as err:
        _open(world, source_a=f"run:{world.run.pk}", source_b=f"run:{twin.pk}")
    assert err.value.field == "split" and "never disagree" in err.value.message


def test_answers_move_the_estimate_and_touch_nothing_else(world):
    adj = _open(world, budget=12)
    before = (GoldLabel.objects.count(), HumanLabel.objects.count(), ElicitedLabel.objects.count(),
              sorted(Tally.objects.values_list("a_kind", "a_ref", "b_kind", "a_label", "b_label", "n", "split")),
              list(Example.objects.order_by("pk").values_list("people_true", "people_false", "crowd_true", "crowd_false")))
    assert adjudication.result(adj)["adjudicated"] == 0
    gold = dict(GoldLabel.objects.values_list("example_id", "label"))
    seen = []
    while True:
        got = adjudication.next_item(adj, world.expert)
        if got["item"] is None:
            break
        item = AdjudicationItem.objects.get(pk=got["item"])
        seen.append(item.pk)
        adjudication.record(adj, world.expert, item.pk, gold[item.example_id], note="looked twice")
    assert len(seen) == len(set(seen)) == 12
    after = (GoldLabel.objects.count(), HumanLabel.objects.count(), ElicitedLabel.objects.count(),
             sorted(Tally.objects.values_list("a_kind", "a_ref", "b_kind", "a_label", "b_label", "n", "split")),
             list(Example.objects.order_by("pk").values_list("people_true", "people_false", "crowd_true", "crowd_false")))
    assert after == before  # not gold, not a vote, not a run's label, no tally moved
    res = adjudication.result(adj)
    assert res["adjudicated"] == 12 and res["difference"]["estimate"] is not None
    assert res["verdict"].startswith("From 12 expert adjudications, no gold")
    assert res["gold"] is not None and res["difference"]["ci_low"] <= res["gold"]["difference"] <= res["difference"]["ci_high"]
    with pytest.raises(AdjudicationError) as err:
        adjudication.record(adj, world.expert, seen[0], True)
    assert err.value.kind == "conflict"


def test_a_skip_passes_the_item_to_others_and_bad_answers_are_refused(world):
    adj = _open(world, budget=4)
    first = adjudication.next_item(adj, world.expert)["item"]
    adjudication.skip(adj, world.expert, first)
    assert adjudication.next_item(adj, world.expert)["item"] != first
    assert adjudication.next_item(adj, world.admin)["item"] == first  # back for others
    for label, field in [("yes", "label"), (None, "label"), (1, "label")]:
        with pytest.raises(AdjudicationError) as err:
            adjudication.record(adj, world.expert, first, label)
        assert err.value.field == field
    with pytest.raises(AdjudicationError) as err:
        adjudication.record(adj, world.expert, 10**9, True)
    assert err.value.kind == "not_found"
    for crafted in (10**30, -1, 2.0, "7"):
        with pytest.raises(AdjudicationError) as err:
            adjudication.record(adj, world.expert, crafted, True)
        assert err.value.field == "item"
    with pytest.raises(AdjudicationError) as err:
        adjudication.next_item(adj, world.reviewer)  # reviewers read the estimate; they do not adjudicate
    assert err.value.kind == "forbidden"


def test_the_sample_download_has_strata_weights_and_labels_but_no_gold(world):
    adj = _open(world, budget=6)
    rows = adjudication.sample_rows(adj)
    assert len(rows) == 6 and set(rows[0]) == set(adjudication.CSV_COLUMNS)
    assert "gold" not in " ".join(adjudication.CSV_COLUMNS)
    assert runs_for_split(world.dataset, "test").exists()


def test_the_command_opens_one_and_refuses_by_name(world):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("open_adjudication", world.dataset.slug, "--split", "test", "--budget", "5", stdout=out)
    assert "drew 5" in out.getvalue() and "/adjudicate/" in out.getvalue()
    for args, words in [(["--budget", "0"], "budget"), (["--source-b", "nobody"], "nobody")]:
        with pytest.raises(CommandError) as err:
            call_command("open_adjudication", world.dataset.slug, "--split", "test", *args, stdout=io.StringIO())
        assert words in str(err.value)
    assert world.dataset.adjudications.count() == 1
