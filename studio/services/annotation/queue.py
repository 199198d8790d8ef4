"""Which example an annotator gets next, and the claims that keep more than k people off one example.

Invariant (per example, under its row lock): annotator labels + other people's unexpired claims <= overlap k.
Every path that claims or labels an example first locks that example's row (SELECT ... FOR NO KEY UPDATE), then
re-counts in a fresh statement, so two transactions can never both take the last slot. Candidates are found
through the example's vote count (kept on write, see studio.services.tallies), never by recounting. Handing out skips
rows another transaction holds (SKIP LOCKED) instead of queueing behind it. On SQLite (the embedded demo)
row locks are no-ops and the database's single writer serializes the writes instead (every transaction
begins IMMEDIATE, see settings). An annotator holds at most one unexpired claim per dataset: their "next"
requests (and labels) run one at a time (tallies.annotator_lock), and a second "next" returns the held one.

Pairs: the two orders of one comparison (twins, see studio.services.tallies.twins) are one item. A person is
shown one order, picked by a hash of (person, pair), never both; the other order's label is implied. So the
invariant above is per pair: labels on either order + others' claims on either order <= k (an example's
people_votes already counts its twin's labels), and every path locks both rows, in id order.
"""
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.models import AnnotationClaim, Dataset, Example, HumanLabel, Skip, Tally
from studio.services import access, tallies
from studio.services.studies.queue_scope import open_study, queue_items

from .errors import AnnotationError

CANDIDATE_BATCH = 25
ATTEMPTS = 8  # rounds of "query candidates, try to lock one" before concluding nothing is free


def require_annotator(user, dataset: Dataset) -> None:
    if not (user and user.is_authenticated):
        raise AnnotationError("Log in to annotate.", kind="forbidden")
    if not access.can_annotate(user, dataset):
        raise AnnotationError(f"You are not an annotator on dataset '{dataset.slug}'.", kind="forbidden")


def annotator_dataset(user, slug: str) -> Dataset:
    """The dataset `slug` if `user` annotates it; AnnotationError (forbidden / not_found) otherwise."""
    if not (user and user.is_authenticated):
        raise AnnotationError("Log in to annotate.", kind="forbidden")
    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is None:
        raise AnnotationError(f"There is no dataset '{slug}'.", kind="not_found")
    require_annotator(user, dataset)
    return dataset


def queue_examples(dataset: Dataset, user=None):
    """The examples people annotate on this dataset: its annotation split, or all of them; while a study's
    labeling is open, the study's items for its annotators (studio.services.studies.queue_scope)."""
    study_items = queue_items(dataset, user)
    if study_items is not None:
        return study_items
    qs = Example.objects.filter(dataset=dataset)
    if dataset.annotation_split:
        qs = qs.filter(split=dataset.annotation_split)
    return qs


def annotator_labels():
    return HumanLabel.objects.filter(source=HumanLabel.Source.ANNOTATOR)


def _count(qs):
    return Coalesce(
        Subquery(qs.order_by().values("example").annotate(c=Count("pk")).values("c"), output_field=IntegerField()),
        0,
    )


def taken_slots(pair: list[int], user, now) -> int:
    """Labels from annotators plus unexpired claims by anyone but `user` on an example and its twin (`pair`,
    tallies.pair_ids; a fresh read: call under the lock)."""
    labels = annotator_labels().filter(example_id__in=pair).values("annotator").distinct().count()  # people
    held = AnnotationClaim.objects.filter(example_id__in=pair, expires_at__gt=now).exclude(annotator=user).count()
    return labels + held


def _either(model, user, twins: bool) -> Exists:
    """Whether `user` has a `model` row (label, skip) on the example, or on its twin."""
    mine = model.objects.filter(annotator=user)
    if not twins:
        return Exists(mine.filter(example=OuterRef("pk")))
    return Exists(mine.filter(Q(example=OuterRef("pk")) | Q(example=OuterRef("twin"))))


def _candidates(user, dataset: Dataset, now):
    """Examples this user may take, closest to done first (most labels so far), then stable position. The
    example's own vote count (kept on write) walks an index in that order; NOT EXISTS probes skip what the
    user labeled or skipped, so the first batch costs a few index reads however large the pool."""
    k = dataset.annotation_overlap
    twins = tallies.has_twins(dataset)
    held = AnnotationClaim.objects.filter(expires_at__gt=now).exclude(annotator=user)
    n_held = _count(held.filter(example=OuterRef("pk")))
    if twins:  # others' claims on the twin take a slot of the pair too
        n_held = n_held + _count(held.filter(example=OuterRef("twin")))
    return (
        tallies.with_twin(queue_examples(dataset, user).filter(people_votes__lt=k), dataset)
        .exclude(_either(HumanLabel, user, twins))
        .exclude(_either(Skip, user, twins))
        .alias(n_held=n_held)
        .filter(**{"people_votes__lt": k - F("n_held")})
        .order_by("-people_votes", "position", "pk")
    )


def _still_free(pair: list[int], user, dataset: Dataset, now) -> bool:
    if HumanLabel.objects.filter(annotator=user, example_id__in=pair).exists():
        return False
    if Skip.objects.filter(annotator=user, example_id__in=pair).exists():
        return False
    return taken_slots(pair, user, now) < dataset.annotation_overlap


def claim_ttl(dataset: Dataset) -> timedelta:
    """The dataset's reservation time, within the model's bounds even for a row written around its validators."""
    return timedelta(seconds=min(max(dataset.claim_ttl_seconds or 1, 1), Dataset.MAX_CLAIM_TTL_SECONDS))


def claim_for(user, example: Example, now) -> AnnotationClaim:
    """Reserve `example` for `user` from now on (call under the example's row lock); their other claims on the
    dataset go (one held example per annotator and dataset)."""
    ttl = claim_ttl(example.dataset)
    AnnotationClaim.objects.filter(annotator=user, example__dataset_id=example.dataset_id).exclude(
        example=example).delete()
    claim, _ = AnnotationClaim.objects.update_or_create(
        annotator=user, example=example, defaults={"claimed_at": now, "expires_at": now + ttl}
    )
    return claim


def _held(user, dataset: Dataset, now) -> Example | None:
    """The example this user already holds (a reload, or the one shown before an undo), most recent first."""
    claims = (
        AnnotationClaim.objects.filter(annotator=user, example__in=queue_examples(dataset, user), expires_at__gt=now)
        .exclude(Exists(HumanLabel.objects.filter(annotator=user, example=OuterRef("example"))))
        .exclude(Exists(Skip.objects.filter(annotator=user, example=OuterRef("example"))))
        .select_related("example", "example__dataset")
        .order_by("-claimed_at", "-pk")
    )
    for claim in claims:
        pair = tallies.pair_ids(claim.example)
        if annotator_labels().filter(example_id__in=pair).count() >= dataset.annotation_overlap:
            claim.delete()  # overlap was lowered under it: the example is done
            continue
        # an UPDATE that may find no row: a label or a skip took the claim meanwhile (then look further)
        if AnnotationClaim.objects.filter(pk=claim.pk).update(expires_at=now + claim_ttl(dataset)):
            return claim.example
    return None


def _labeled_everything(user, dataset: Dataset) -> bool:
    """Whether `user` has labeled every item (example, or pair of twins) of the queue, read from the tallies: the
    candidate walk would
    otherwise pass over every one of them to find nothing (2 s at 1,000,000 examples)."""
    if open_study(dataset) is not None:  # the tallies count splits, not a study's items
        return False
    cells = Tally.objects.filter(dataset=dataset, b_kind=Tally.Kind.NONE, a_label=False)  # twins' mirrors left out
    if dataset.annotation_split:
        cells = cells.filter(split=dataset.annotation_split)
    counts = cells.aggregate(mine=Sum("n", filter=Q(a_kind=Tally.Kind.ANNOTATOR, a_ref=user.pk)),
                             examples=Sum("n", filter=Q(a_kind=Tally.Kind.VOTES_PEOPLE)))
    return bool(counts["examples"]) and (counts["mine"] or 0) >= counts["examples"]


def _shown_order(user, dataset: Dataset, group: str, pair: list[int], candidate: int) -> int:
    """Which example of `pair` this user sees: their order (tallies.chosen_order) when it is in the queue."""
    if len(pair) == 1:
        return candidate
    target = tallies.chosen_order(user.pk, dataset.pk, group, pair)
    if target != candidate and dataset.annotation_split and not queue_examples(dataset).filter(pk=target).exists():
        return candidate  # the twin sits outside the annotated split
    return target


def next_example(user, dataset: Dataset) -> Example | None:
    """The example `user` should label next on `dataset`, claimed for them; None when nothing is left for them."""
    require_annotator(user, dataset)
    if _labeled_everything(user, dataset):
        return None
    for attempt in range(ATTEMPTS):
        now = timezone.now()
        locked_out = False
        with transaction.atomic():
            # one "next" at a time per annotator (and none beside their label): a second request finds the
            # first one's claim and returns the same example, so nobody holds more than one
            tallies.annotator_lock(dataset.pk, user.pk)
            held = _held(user, dataset, now)
            if held is not None:
                return held
            rows = list(_candidates(user, dataset, now).values_list("pk", "group", "twin")[:CANDIDATE_BATCH])
            if not rows:
                return None
            seen = set()
            for pk, group, twin in rows:
                pair = sorted([pk, twin]) if twin else [pk]
                if pair[0] in seen:  # both orders of one pair came back: one item
                    continue
                seen.add(pair[0])
                target = _shown_order(user, dataset, group, pair, pk)
                # of=("self",): lock only these rows, never the dataset's (every claim would queue on it).
                # NO KEY UPDATE, as recording takes it: a finishing run's key-share locks do not hide examples.
                locked = list(Example.objects.select_for_update(skip_locked=True, of=("self",), no_key=True)
                              .filter(pk__in=pair).order_by("pk"))
                if len(locked) < len(pair):  # someone else is claiming or labeling it right now
                    locked_out = True
                    continue
                if _still_free(pair, user, dataset, now):
                    example = next(e for e in locked if e.pk == target)
                    example.dataset = dataset
                    claim_for(user, example, now)
                    return example
        # Every candidate was taken meanwhile (stale batch) or locked: look again with fresh counts.
        if locked_out:
            time.sleep(0.005 * (attempt + 1))
    return None
