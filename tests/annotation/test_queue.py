"""The queue: which example an annotator is handed next, with overlap, claims and their expiry."""
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.models import AnnotationClaim, Example
from studio.services.annotation import AnnotationError, next_example, skip, submit_label

from .factories import make_annotator, make_dataset

pytestmark = pytest.mark.django_db


def positions(examples):
    return [e.position if e else None for e in examples]


def test_examples_come_in_position_order_and_a_reload_gets_the_held_one_back():
    ds = make_dataset(n=3)
    ann = make_annotator("ann", ds)
    first = next_example(ann, ds)
    assert first.position == 0
    assert next_example(ann, ds) == first  # a reload shows the same example, not a new claim
    assert AnnotationClaim.objects.filter(annotator=ann).count() == 1
    submit_label(ann, first, True, 1.0)
    assert next_example(ann, ds).position == 1


def test_examples_closest_to_done_come_first():
    ds = make_dataset(n=5, overlap=3)
    a, b, c = (make_annotator(u, ds) for u in ("a", "b", "c"))
    # a works through 0..2 and labels them; b labels only 0 and 1 (its first two).
    for _ in range(3):
        submit_label(a, next_example(a, ds), True, 1.0)
    e0 = next_example(b, ds)
    submit_label(b, e0, False, 1.0)
    e1 = next_example(b, ds)
    submit_label(b, e1, False, 1.0)
    assert positions([e0, e1]) == [0, 1]
    # c: example 0 and 1 have 2 labels, 2 has 1, 3 and 4 none.
    got = []
    for _ in range(5):
        e = next_example(c, ds)
        got.append(e)
        submit_label(c, e, True, 1.0)
    assert positions(got) == [0, 1, 2, 3, 4]
    # b has 2, 3, 4 left; 2 now has two labels, 3 and 4 one each.
    assert next_example(b, ds).position == 2


def test_nobody_gets_an_example_twice_and_overlap_caps_the_people_on_it():
    ds = make_dataset(n=3, overlap=2)
    a, b, c = (make_annotator(u, ds) for u in ("a", "b", "c"))
    ea, eb = next_example(a, ds), next_example(b, ds)
    assert ea == eb and ea.position == 0  # two holders at once is allowed with overlap 2
    assert next_example(c, ds).position == 1  # a third is not
    submit_label(a, ea, True, 1.0)
    submit_label(b, eb, True, 1.0)
    seen_by_a = []
    while (e := next_example(a, ds)) is not None:
        seen_by_a.append(e.position)
        submit_label(a, e, False, 1.0)
    assert sorted(seen_by_a) == [1, 2]  # never example 0 again
    assert next_example(a, ds) is None


def test_a_skipped_example_is_never_handed_back_but_frees_its_slot():
    ds = make_dataset(n=2, overlap=1)
    a, b = make_annotator("a", ds), make_annotator("b", ds)
    e = next_example(a, ds)
    skip(a, e, 2.0)
    assert next_example(a, ds).position == 1
    assert next_example(b, ds) == e  # the slot a gave up


def test_an_expired_claim_frees_the_example_and_the_late_label_is_refused_when_full():
    ds = make_dataset(n=2, overlap=1, ttl=60)
    a, b = make_annotator("a", ds), make_annotator("b", ds)
    e = next_example(a, ds)
    assert next_example(b, ds).position == 1
    AnnotationClaim.objects.filter(annotator=a).update(expires_at=timezone.now() - timedelta(seconds=1))
    c = make_annotator("c", ds)
    assert next_example(c, ds) == e  # a's hold lapsed
    with pytest.raises(AnnotationError) as err:
        submit_label(a, e, True, 3.0)
    assert err.value.kind == "conflict" and "expired" in str(err.value)
    assert not e.human_labels.exists()


def test_a_late_label_is_still_taken_when_the_example_has_room():
    ds = make_dataset(n=1, overlap=1, ttl=60)
    a = make_annotator("a", ds)
    e = next_example(a, ds)
    AnnotationClaim.objects.filter(annotator=a).update(expires_at=timezone.now() - timedelta(seconds=1))
    stored = submit_label(a, e, True, 3.0)
    assert stored.created and e.human_labels.count() == 1


def test_only_the_annotation_split_is_handed_out():
    ds = make_dataset(n=6, splits=("train", "test"), annotation_split="test")
    a = make_annotator("a", ds)
    got = []
    while (e := next_example(a, ds)) is not None:
        got.append(e)
        submit_label(a, e, True, 1.0)
    assert {e.split for e in got} == {"test"} and len(got) == 3


def test_people_not_on_the_dataset_get_nothing():
    ds = make_dataset(n=2)
    outsider = make_annotator("outsider")
    reviewer = make_annotator("rev", ds, role="reviewer")
    for user in (outsider, reviewer):
        with pytest.raises(AnnotationError) as err:
            next_example(user, ds)
        assert err.value.kind == "forbidden"
    assert not AnnotationClaim.objects.exists()
    example = Example.objects.filter(dataset=ds).first()
    with pytest.raises(AnnotationError):
        submit_label(outsider, example, True, 1.0)
    assert not example.human_labels.exists()
