"""Progress shown on the labeling page: the annotator's own counts and the dataset's completion.
Counts only: no label values, so nothing about what anyone else answered."""
from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Least

from studio.models import Dataset, HumanLabel, Skip

from .queue import queue_examples


def progress(user, dataset: Dataset) -> dict:
    examples = queue_examples(dataset)
    k = dataset.annotation_overlap
    per_example = examples.annotate(
        n=Count("human_labels", filter=Q(human_labels__source=HumanLabel.Source.ANNOTATOR))
    )
    totals = per_example.aggregate(
        examples=Count("pk"),
        labels=Sum(Least("n", Value(k), output_field=IntegerField())),
        complete=Count("pk", filter=Q(n__gte=k)),
    )
    n_examples = totals["examples"] or 0
    needed = n_examples * k
    labels = totals["labels"] or 0
    return {
        "mine": HumanLabel.objects.filter(annotator=user, example__in=examples).count(),
        "skipped": Skip.objects.filter(annotator=user, example__in=examples).count(),
        "examples": n_examples,
        "overlap": k,
        "labels": labels,
        "needed": needed,
        "complete_examples": totals["complete"] or 0,
        "percent": round(100.0 * labels / needed, 1) if needed else 100.0,
    }
