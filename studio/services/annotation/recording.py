"""Recording what an annotator does: a label, a skip, an undo. Each runs in one transaction under the
example's row lock (see queue.py), so a double click, a retried request or a racing annotator cannot store a
second label or push an example past its overlap. A refused request raises AnnotationError and changes nothing."""
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from studio.models import AnnotationClaim, Dataset, Example, HumanLabel, Skip
from studio.services import tallies

from .errors import AnnotationError
from .queue import annotator_labels, claim_for, queue_examples, require_annotator, taken_slots

MAX_SECONDS = 3600.0  # nobody looks at one example for an hour: a forgotten tab, not time spent
CLOCK_SLACK = 5.0  # the client's clock may run a little ahead of the server's view of the claim


@dataclass(frozen=True)
class Undone:
    example: Example
    label: bool
    label_id: int


def _word(value: bool) -> str:
    return "True" if value else "False"


def _check_example(user, example: Example) -> Dataset:
    dataset = example.dataset
    require_annotator(user, dataset)
    if not queue_examples(dataset, user).filter(pk=example.pk).exists():  # this user's queue (a study's scope)
        raise AnnotationError(f"Example {example.pk} is not in the annotation queue of '{dataset.slug}'.",
                              "example", kind="not_found")
    return dataset


def check_seconds(seconds) -> float | None:
    if seconds is None:
        return None
    if (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0
            or seconds > 10**9 or not math.isfinite(seconds)):  # huge ints first: isfinite() overflows on them
        raise AnnotationError(f"'seconds' must be a non-negative number of seconds, got {seconds!r}.", "seconds")
    return float(seconds)


def _time_spent(client_seconds: float | None, claim: AnnotationClaim, now) -> float:
    """The client's display-to-answer time, never more than the server saw since it handed the example out."""
    server_seconds = max((now - claim.claimed_at).total_seconds(), 0.0)
    value = server_seconds if client_seconds is None else min(client_seconds, server_seconds + CLOCK_SLACK)
    return round(min(value, MAX_SECONDS), 3)


def _lock(example: Example, user=None) -> list[int]:
    """The row locks of the example and its twin (in id order, as the queue takes them), after the dataset's
    tally share lock (tallies.keeping's order); returns their ids. NO KEY UPDATE still excludes every other
    writer of these examples, but not the key-share locks a finishing run's inserts hold on its examples (that
    run then waits for this label, never the other way round)."""
    if user is not None:  # a label's writes: one at a time per annotator (tallies.annotator_lock)
        tallies.annotator_lock(example.dataset_id, user.pk, example.split)
    tallies.share_lock(example.dataset_id)
    pair = tallies.pair_ids(example)
    list(Example.objects.select_for_update(no_key=True).filter(pk__in=pair).order_by("pk").values_list("pk"))
    return pair


def _own_claim(user, example: Example, now) -> AnnotationClaim:
    claim = AnnotationClaim.objects.filter(annotator=user, example=example).first()
    if claim is None:
        raise AnnotationError(
            f"Example {example.pk} was not handed to you. Ask for the next example instead.", kind="forbidden"
        )
    if claim.expires_at <= now and taken_slots(tallies.pair_ids(example), user, now) >= example.dataset.annotation_overlap:
        raise AnnotationError(
            "Your hold on this example expired and other annotators have given it all its labels meanwhile.",
            kind="conflict",
        )
    return claim


def submit_label(user, example: Example, label: bool, seconds: float | None = None) -> HumanLabel:
    """Store `user`'s label on `example` (it must have been handed to them). Idempotent: the same label again
    returns the stored one; a different label is refused (undo first). The returned HumanLabel carries
    `.created` (False for a repeat)."""
    dataset = _check_example(user, example)
    if not isinstance(label, bool):
        raise AnnotationError(f"'label' must be true or false, got {label!r}.", "label")
    seconds = check_seconds(seconds)
    now = timezone.now()
    with transaction.atomic():
        pair = _lock(example, user)
        existing = HumanLabel.objects.filter(annotator=user, example=example).first()
        if existing is not None:
            if existing.label != label:
                raise AnnotationError(
                    f"You already labeled this example {_word(existing.label)}. Undo it (u) to change it.",
                    kind="conflict",
                )
            existing.created = False
            return existing
        if Skip.objects.filter(annotator=user, example=example).exists():
            raise AnnotationError("You skipped this example; it is no longer yours to label.", kind="conflict")
        if HumanLabel.objects.filter(annotator=user, example_id__in=pair).exists():
            raise AnnotationError("You already judged this pair in its other order; its label here is implied.",
                                  kind="conflict")
        claim = _own_claim(user, example, now)
        if annotator_labels().filter(example_id__in=pair).count() >= dataset.annotation_overlap:
            raise AnnotationError("This example already has all the labels it needs.", kind="conflict")
        with tallies.keeping(example):
            stored = HumanLabel.objects.create(
                example=example,
                annotator=user,
                source=HumanLabel.Source.ANNOTATOR,
                label=label,
                seconds_spent=_time_spent(seconds, claim, now),
            )
        claim.delete()
    stored.created = True
    return stored


def skip(user, example: Example, seconds: float | None = None) -> Skip:
    """Pass on `example`: it is never handed to `user` again, and its slot goes back to the queue."""
    _check_example(user, example)
    seconds = check_seconds(seconds)
    now = timezone.now()
    with transaction.atomic():
        _lock(example, user)
        existing = Skip.objects.filter(annotator=user, example=example).first()
        if existing is not None:
            return existing
        if HumanLabel.objects.filter(annotator=user, example=example).exists():
            raise AnnotationError("You already labeled this example. Undo it (u) first if you want to skip it.",
                                  kind="conflict")
        claim = _own_claim(user, example, now)
        stored = Skip.objects.create(example=example, annotator=user, seconds_spent=_time_spent(seconds, claim, now))
        claim.delete()
    return stored


def undo_last(user, dataset: Dataset, *, label_ids=None) -> Undone:
    """Delete `user`'s most recent label on `dataset` (only among `label_ids` when given: the labels of this
    browser session) and hand that example back to them, so they can label it again."""
    require_annotator(user, dataset)
    labels = annotator_labels().filter(annotator=user, example__in=queue_examples(dataset))
    if label_ids is not None:
        labels = labels.filter(pk__in=list(label_ids))
    last = labels.select_related("example", "example__dataset").order_by("-created_at", "-pk").first()
    if last is None:
        raise AnnotationError("Nothing to undo: you have no label from this session left.", kind="conflict")
    now = timezone.now()
    with transaction.atomic():
        _lock(last.example, user)
        with tallies.keeping(last.example):
            deleted, _ = HumanLabel.objects.filter(pk=last.pk).delete()
            if not deleted:
                raise AnnotationError("That label was already undone.", kind="conflict")
        claim_for(user, last.example, now)
    return Undone(example=last.example, label=last.label, label_id=last.pk)
