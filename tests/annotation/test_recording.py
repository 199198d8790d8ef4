"""Recording labels, skips and undo: one label per person per example, times checked against the server."""
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.models import AnnotationClaim, HumanLabel, Skip
from studio.services.annotation import AnnotationError, next_example, skip, submit_label, undo_last

from .factories import make_annotator, make_dataset

pytestmark = pytest.mark.django_db


def handed(user, ds, seconds_ago=10):
    """Hand the next example to `user` as if it was shown `seconds_ago` seconds ago."""
    e = next_example(user, ds)
    AnnotationClaim.objects.filter(annotator=user, example=e).update(
        claimed_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return e


def test_a_label_records_who_what_and_the_time_spent():
    ds = make_dataset(n=3)
    a = make_annotator("a", ds)
    e = handed(a, ds)
    stored = submit_label(a, e, False, 4.25)
    row = HumanLabel.objects.get()
    assert (row.annotator, row.example, row.label, row.source) == (a, e, False, "annotator")
    assert row.seconds_spent == pytest.approx(4.25)
    assert row.created_at is not None and stored.created
    assert not AnnotationClaim.objects.filter(annotator=a, example=e).exists()


def test_a_client_time_longer_than_the_server_saw_is_capped():
    ds = make_dataset(n=3)
    a = make_annotator("a", ds)
    submit_label(a, handed(a, ds, seconds_ago=10), True, 5000.0)
    submit_label(a, handed(a, ds, seconds_ago=7), True, None)  # no client time: the server's measure
    times = list(HumanLabel.objects.order_by("example__position").values_list("seconds_spent", flat=True))
    assert 10 <= times[0] <= 16
    assert 7 <= times[1] <= 9


def test_the_same_label_twice_stores_one_and_a_different_one_is_refused():
    ds = make_dataset(n=2)
    a = make_annotator("a", ds)
    e = handed(a, ds)
    first = submit_label(a, e, True, 3.0)
    again = submit_label(a, e, True, 9.0)  # a double click / a retried request
    assert not again.created and again.pk == first.pk
    with pytest.raises(AnnotationError) as err:
        submit_label(a, e, False, 1.0)
    assert err.value.kind == "conflict" and "Undo" in str(err.value)
    assert list(HumanLabel.objects.values_list("label", "seconds_spent")) == [(True, 3.0)]


def test_a_label_for_an_example_not_handed_to_you_is_refused():
    ds = make_dataset(n=3)
    a = make_annotator("a", ds)
    handed(a, ds)
    other = ds.examples.get(position=2)
    with pytest.raises(AnnotationError) as err:
        submit_label(a, other, True, 1.0)
    assert err.value.kind == "forbidden" and "not handed to you" in str(err.value)
    assert not HumanLabel.objects.exists()


def test_skips_are_recorded_apart_and_block_a_later_label():
    ds = make_dataset(n=2)
    a = make_annotator("a", ds)
    e = handed(a, ds)
    skip(a, e, 2.5)
    skip(a, e, 2.5)  # idempotent
    assert list(Skip.objects.values_list("annotator", "example", "seconds_spent")) == [(a.pk, e.pk, 2.5)]
    with pytest.raises(AnnotationError) as err:
        submit_label(a, e, True, 1.0)
    assert err.value.kind == "conflict"
    assert not HumanLabel.objects.exists()


def test_undo_removes_the_last_label_and_hands_the_example_back():
    ds = make_dataset(n=3, overlap=1)
    a, b = make_annotator("a", ds), make_annotator("b", ds)
    e0 = handed(a, ds)
    submit_label(a, e0, True, 1.0)
    e1 = handed(a, ds)
    submit_label(a, e1, True, 1.0)
    undone = undo_last(a, ds)
    assert (undone.example, undone.label) == (e1, True)
    assert list(HumanLabel.objects.values_list("example", flat=True)) == [e0.pk]
    assert next_example(b, ds).position == 2  # e1 is held for a again, overlap 1
    assert next_example(a, ds) == e1
    changed = submit_label(a, e1, False, 2.0)
    assert changed.created and not changed.label


def test_undo_only_reaches_the_labels_it_is_given_and_says_when_there_is_nothing():
    ds = make_dataset(n=3)
    a = make_annotator("a", ds)
    e0 = handed(a, ds)
    old = submit_label(a, e0, True, 1.0)  # an earlier session
    with pytest.raises(AnnotationError) as err:
        undo_last(a, ds, label_ids=[])
    assert err.value.kind == "conflict" and "Nothing to undo" in str(err.value)
    assert undo_last(a, ds, label_ids=[old.pk]).example == e0
    with pytest.raises(AnnotationError):
        undo_last(a, ds, label_ids=[old.pk])
    assert not HumanLabel.objects.exists()


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "3", True])
def test_nonsense_times_are_refused(bad):
    ds = make_dataset(n=1)
    a = make_annotator("a", ds)
    e = handed(a, ds)
    with pytest.raises(AnnotationError) as err:
        submit_label(a, e, True, bad)
    assert err.value.kind == "invalid" and "seconds" in str(err.value)
    with pytest.raises(AnnotationError):
        skip(a, e, bad)
    assert not HumanLabel.objects.exists() and not Skip.objects.exists()
