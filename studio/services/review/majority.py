"""The people's majority per example: studio annotators' votes (not imported crowd votes), ties left unlabeled.

Each vote column counts an annotator's label on the example and, negated, their label on its twin (the other
order of a comparison pair, studio.services.tallies.twins): a person judges a pair once, in one order, and the
majority labels both orders. With `min_labels`, only annotators with at least that many labels in the split
count (the dashboard's "annotators with at least N labels" filter)."""
from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from studio.models import Dataset, Example, HumanLabel
from studio.services import tallies

from .sources import check_split, majority_case, split_examples, vote_counts


def eligible_annotators(dataset: Dataset, split: str, min_labels: int | None) -> list[int] | None:
    """Annotators with at least `min_labels` labels in the split (from its tallies); None when that is everyone."""
    if not min_labels or min_labels <= 1:
        return None
    counts = tallies.split_cells(dataset.pk, split).annotators()
    keep = [pk for pk, n in counts.items() if n >= min_labels]
    return None if len(keep) == len(counts) else keep


def _votes(example_ref: str, annotators: list[int], label: bool):
    labels = HumanLabel.objects.filter(source=HumanLabel.Source.ANNOTATOR, annotator_id__in=annotators,
                                       example=OuterRef(example_ref), label=label)
    if example_ref == "twin":  # implied only for those who did not label this order themselves
        labels = labels.exclude(Exists(HumanLabel.objects.filter(annotator=OuterRef("annotator"),
                                                                 example=OuterRef(OuterRef("pk")))))
    return Coalesce(Subquery(labels.order_by().values("example").annotate(c=Count("pk")).values("c"),
                             output_field=IntegerField()), 0)


def people_majority(dataset: Dataset, split: str, *, min_labels: int | None = None) -> QuerySet[Example]:
    """The split's examples with `votes_true`, `votes_false` and `majority` (True / False, or None for a tie or
    no votes — ties are not broken)."""
    check_split(dataset, split)
    qs = split_examples(dataset, split)
    annotators = eligible_annotators(dataset, split, min_labels)
    if annotators is None:  # every annotator: the example's vote columns, kept on write (twins included)
        counts = vote_counts(HumanLabel.Source.ANNOTATOR)
        qs = qs.annotate(votes_true=counts["annotator_t"], votes_false=counts["annotator_f"])
    else:
        qs = tallies.with_twin(qs, dataset)
        qs = qs.annotate(votes_true=_votes("pk", annotators, True) + _votes("twin", annotators, False),
                         votes_false=_votes("pk", annotators, False) + _votes("twin", annotators, True))
    return qs.annotate(majority=majority_case("votes_true", "votes_false"))
