"""Pairs for people: the two orders of one comparison (blog-gender's "Post A by a man rather than Post B",
A>B and B>A, exactly one true) are one item. A person is shown one order, picked per person and pair, never
both; the other order's label is implied, so the people's majority labels both orders while each person's
accuracy and the agreement count each judgement once; the queue's overlap counts a pair once."""
import pytest
from django.db import transaction

from studio.models import Dataset, Example, GoldLabel, HumanLabel
from studio.services import review, tallies
from studio.services.annotation import AnnotationError, next_example, progress, submit_label, undo_last
from studio.services.review import counting

from .factories import make_annotator

PAIRS = 6


def make_pairs(name="Blog pairs", *, pairs=PAIRS, overlap=1, split="train") -> Dataset:
    """A blog-gender-like dataset: each pair in both orders (group pair-i, keys A>B / B>A); the man's post is
    Post A in the A>B order of even pairs."""
    ds = Dataset.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), task_type=Dataset.TaskType.COMPARISON,
        consistency=Dataset.Consistency.COMPARISON, question="Is Post A more likely written by a man than Post B?",
        prompt_template="Post A: {post_a}\nPost B: {post_b}\nI think this claim is",
        display_fields=["post_a", "post_b"], annotation_overlap=overlap)
    rows = []
    for i in range(pairs):
        for j, (key, a, b) in enumerate((("A>B", "x", "y"), ("B>A", "y", "x"))):
            rows.append(Example(dataset=ds, external_id=f"pair-{i}-{key}", split=split, position=2 * i + j,
                                group=f"pair-{i}", key=key, fields={"post_a": f"post {i}{a}", "post_b": f"post {i}{b}"},
                                prompt=f"Post A: post {i}{a}\nPost B: post {i}{b}\nI think this claim is"))
    Example.objects.bulk_create(rows)
    GoldLabel.objects.bulk_create(GoldLabel(example=e, label=(e.key == "A>B") == (int(e.group[5:]) % 2 == 0))
                                  for e in ds.examples.all())
    tallies.rebuild(ds)
    return ds


def label_everything(user, ds, answer=lambda e: e.key == "A>B") -> list[Example]:
    shown = []
    while (example := next_example(user, ds)) is not None:
        assert next_example(user, ds).pk == example.pk  # a reload shows the same order
        submit_label(user, example, answer(example), 2.0)
        shown.append(example)
        assert len(shown) <= 2 * PAIRS
    return shown


@pytest.mark.django_db
def test_an_annotator_sees_one_order_of_each_pair_and_two_people_can_see_different_orders():
    ds = make_pairs(overlap=2)
    first = make_annotator("first", ds)
    pair0 = sorted(ds.examples.filter(group="pair-0").values_list("pk", flat=True))
    # a second person whose order of pair-0 differs from the first's (the pick is a hash: about every other one)
    n = 0
    while True:
        second = make_annotator(f"second{n}", ds)
        if tallies.chosen_order(second.pk, ds.pk, "pair-0", pair0) != tallies.chosen_order(first.pk, ds.pk, "pair-0", pair0):
            break
        n += 1

    seen = {}
    for user in (first, second):
        shown = label_everything(user, ds)
        groups = [e.group for e in shown]
        assert sorted(groups) == sorted(f"pair-{i}" for i in range(PAIRS))  # every pair once, never both orders
        seen[user.pk] = {e.group: e.pk for e in shown}
        assert progress(user, ds)["examples"] == PAIRS
    assert seen[first.pk]["pair-0"] != seen[second.pk]["pair-0"]

    # two judgements per pair: the overlap of 2 is reached, a third person gets nothing
    third = make_annotator("third", ds)
    assert next_example(third, ds) is None
    assert progress(third, ds)["complete_examples"] == PAIRS
    assert not tallies.check(ds)  # kept on write == recount, implied votes included


@pytest.mark.django_db
def test_the_peoples_majority_labels_both_orders_and_each_judgement_counts_once():
    ds = make_pairs()
    user = make_annotator("judge", ds)
    # the annotator always says the man wrote Post A: right on the even pairs' A>B order, the odd pairs' B>A
    shown = label_everything(user, ds, answer=lambda e: True)
    assert len(shown) == PAIRS and HumanLabel.objects.filter(annotator=user).count() == PAIRS

    majority = dict(review.people_majority(ds, "train").values_list("pk", "majority"))
    assert set(majority.values()) == {True, False} and None not in majority.values()  # both orders labeled
    for example in shown:
        twin = tallies.twin_id(example)
        assert majority[example.pk] is True and majority[twin] is False  # the other order: the negation
        assert Example.objects.filter(pk=twin).values_list("people_false", "people_true").get() == (1, 0)

    data = review.dashboard(ds, "train", min_labels=1)
    rows = {r["key"]: r for r in data["sources"]}
    person = rows[f"annotator:{user.pk}"]
    assert person["labeled"] == PAIRS and person["accuracy"]["n"] == PAIRS  # each judgement once
    correct = sum(GoldLabel.objects.get(example=e).label is True for e in shown)
    assert person["accuracy"]["correct"] == correct
    assert rows["people"]["labeled"] == 2 * PAIRS  # the majority covers both orders
    assert rows["people"]["accuracy"]["correct"] == 2 * correct
    assert data["agreement"]["people"]["items"] == PAIRS and data["agreement"]["people"]["votes"] == PAIRS

    # the dashboard's fast path (tallies) and one pass over the votes agree, implied votes included
    sources = review.label_sources(ds, "train", min_labels=1, evaluation=None)
    cells = tallies.split_cells(ds.pk, "train")
    assert counting.count_from_tallies(cells, sources, sources) == counting.count_everything(ds, "train", sources, sources)
    assert counting.histograms_from_tallies(cells) == counting.vote_histograms(ds, "train")

    # an undo takes the implied vote back too
    undone = undo_last(user, ds)
    twin = tallies.twin_id(undone.example)
    assert Example.objects.filter(pk=twin).values_list("people_false", "people_true").get() == (0, 0)
    assert review.people_majority(ds, "train").get(pk=twin).majority is None
    assert not tallies.check(ds)


@pytest.mark.django_db
def test_the_other_order_is_refused_to_someone_who_judged_the_pair():
    ds = make_pairs(pairs=1)
    user = make_annotator("once", ds)
    example = next_example(user, ds)
    submit_label(user, example, True, 1.0)
    other = Example.objects.get(pk=tallies.twin_id(example))
    with pytest.raises(AnnotationError, match="other order"):
        submit_label(user, other, False, 1.0)
    assert HumanLabel.objects.filter(annotator=user).count() == 1


@pytest.mark.django_db
def test_the_min_labels_filter_changes_the_peoples_majority():
    """Two occasional annotators outvote a steady one until the filter leaves them out."""
    ds = make_pairs(overlap=3)
    steady = make_annotator("steady", ds)
    label_everything(steady, ds, answer=lambda e: True)
    pair0 = ds.examples.filter(group="pair-0").order_by("pk")
    target = pair0[0]
    for name in ("drop-in-1", "drop-in-2"):
        user = make_annotator(name, ds)
        order = tallies.chosen_order(user.pk, ds.pk, "pair-0", [e.pk for e in pair0])
        # each says the opposite of steady on pair-0 (in whichever order they are shown)
        steady_on_target = review.people_majority(ds, "train").get(pk=target.pk).majority
        shown = Example.objects.get(pk=order)
        HumanLabel.objects.create(example=shown, annotator=user, label=(not steady_on_target) == (shown.pk == target.pk))
    tallies.rebuild(ds)
    before = review.people_majority(ds, "train").get(pk=target.pk)
    after = review.people_majority(ds, "train", min_labels=2).get(pk=target.pk)
    assert (before.votes_true + before.votes_false, after.votes_true + after.votes_false) == (3, 1)
    assert before.majority is not None and after.majority is (not before.majority)

    people = lambda data: next(r for r in data["sources"] if r["key"] == "people")  # noqa: E731
    everyone, filtered = review.dashboard(ds, "train", min_labels=1), review.dashboard(ds, "train", min_labels=2)
    assert people(everyone)["accuracy"]["correct"] != people(filtered)["accuracy"]["correct"]
    mine = next(r for r in filtered["sources"] if r["key"] == f"annotator:{steady.pk}")["accuracy"]
    # only steady counts: the majority is steady's judgement on both orders of every pair
    assert (people(filtered)["accuracy"]["correct"], people(filtered)["accuracy"]["n"]) == \
        (2 * mine["correct"], 2 * PAIRS)


@pytest.mark.django_db
def test_cohens_kappa_between_two_annotators_counts_the_pairs_fleiss_counts():
    """Two people shown different orders of some pairs: Cohen's kappa between them counts every pair once,
    the other order's judgement negated, as Fleiss' kappa does (it read 0.00 beside Fleiss' 0.657, over the
    pairs both happened to see in the same order)."""
    ds = make_pairs(overlap=2)
    first = make_annotator("first", ds)
    pair0 = sorted(ds.examples.filter(group="pair-0").values_list("pk", flat=True))
    n = 0
    while True:  # a second person shown the other order of pair-0 (the pick is a hash: about every other one)
        second = make_annotator(f"second{n}", ds)
        if tallies.chosen_order(second.pk, ds.pk, "pair-0", pair0) != tallies.chosen_order(first.pk, ds.pk, "pair-0", pair0):
            break
        n += 1
    gold = lambda e: GoldLabel.objects.get(example=e).label  # noqa: E731
    label_everything(first, ds, answer=gold)
    # the second disagrees with the first on pairs 1 and 2: agreement 4 of 6 in content
    label_everything(second, ds, answer=lambda e: gold(e) != (e.group in ("pair-1", "pair-2")))

    data = review.dashboard(ds, "train", min_labels=1)
    keys = data["kappa"]["keys"]
    cell = data["kappa"]["matrix"][keys.index(f"annotator:{first.pk}")][keys.index(f"annotator:{second.pk}")]
    assert (cell["n"], cell["agreement"]) == (PAIRS, pytest.approx(4 / 6))
    assert cell["unit"] == "pairs"
    # in the pairs' first order the votes split evenly, so Cohen's and Fleiss' kappa coincide: (4/6 - 1/2) / (1/2)
    assert cell["kappa"] == pytest.approx(1 / 3)
    assert data["agreement"]["people"]["fleiss_kappa"] == pytest.approx(1 / 3)
    assert data["kappa"]["implied_votes"] is True
    # the pair-counted cells are kept on write (the dashboard reads no label): a recount agrees, and a rebuild
    # leaves the cell as it was
    assert not tallies.check(ds)
    tallies.rebuild(ds)
    again = review.dashboard(ds, "train", min_labels=1)["kappa"]["matrix"][keys.index(f"annotator:{first.pk}")]
    assert again[keys.index(f"annotator:{second.pk}")] == cell


@pytest.mark.django_db
def test_pair_counted_agreement_kept_on_write_when_someone_judged_both_orders():
    """Someone who judged both orders of a pair (possible before the queue kept them apart): both orders are
    units of their own, in the kept cells as in a recount, and an undo takes the cells back."""
    ds = make_pairs(pairs=2, overlap=2)
    first, second = make_annotator("first", ds), make_annotator("second", ds)
    label_everything(first, ds)
    label_everything(second, ds)
    shown = HumanLabel.objects.filter(annotator=first, example__group="pair-0").get().example
    other = Example.objects.get(pk=tallies.twin_id(shown))
    with transaction.atomic():  # the legacy label, written the way the label path writes (kept on write)
        tallies.share_lock(ds.pk)
        with tallies.keeping(other):
            HumanLabel.objects.create(example=other, annotator=first, label=True, source=HumanLabel.Source.ANNOTATOR)
    assert not tallies.check(ds)
    data = review.dashboard(ds, "train", min_labels=1)
    keys = data["kappa"]["keys"]
    cell = data["kappa"]["matrix"][keys.index(f"annotator:{first.pk}")][keys.index(f"annotator:{second.pk}")]
    assert cell["n"] == 3  # pair-1 once; pair-0 in each order (the second's judgement implied on the other)
    with transaction.atomic():
        tallies.share_lock(ds.pk)
        with tallies.keeping(other):
            HumanLabel.objects.filter(example=other, annotator=first).delete()
    assert not tallies.check(ds)
    data = review.dashboard(ds, "train", min_labels=1)
    assert data["kappa"]["matrix"][keys.index(f"annotator:{first.pk}")][keys.index(f"annotator:{second.pk}")]["n"] == 2
