"""Progress shown on the labeling page: the annotator's own counts and the dataset's completion.
Counts only: no label values, so nothing about what anyone else answered. Read from the tallies (kept on
write): a few dozen rows however large the pool."""
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Least

from studio.models import Dataset, HumanLabel, Skip
from studio.services import tallies
from studio.services.studies.queue_scope import open_study, queue_items

from .queue import queue_examples


def _study_progress(user, dataset: Dataset, study) -> dict:
    """While a study's labeling is open: the counts over its people items (a comparison pair counted once)."""
    k = dataset.annotation_overlap
    items = queue_items(dataset)  # the study's items, read from its row in the database (never an id list)
    if tallies.has_twins(dataset):
        seen, rows = set(), []
        for pk, group, votes in items.values_list("pk", "group", "people_votes"):
            if not group or group not in seen:
                rows.append((pk, group, votes))
                seen.add(group)
        n_examples, labels = len(rows), sum(min(v, k) for _, _, v in rows)
        complete = sum(1 for _, _, v in rows if v >= k)
    else:  # counted in the database
        totals = items.aggregate(n=Count("pk"), labels=Sum(Least("people_votes", Value(k))),
                                 complete=Count("pk", filter=Q(people_votes__gte=k)))
        n_examples, labels, complete = totals["n"], totals["labels"] or 0, totals["complete"]
    needed = n_examples * k
    return {
        "mine": HumanLabel.objects.filter(annotator=user, example__in=items).count(),
        "skipped": Skip.objects.filter(annotator=user, example__in=items).count(),
        "examples": n_examples,
        "overlap": k,
        "labels": labels,
        "needed": needed,
        "complete_examples": complete,
        "percent": round(100.0 * labels / needed, 1) if needed else 100.0,
    }


def progress(user, dataset: Dataset) -> dict:
    study = open_study(dataset)
    if study is not None:
        return _study_progress(user, dataset, study)
    k = dataset.annotation_overlap
    cells = tallies.split_cells(dataset.pk, dataset.annotation_split or None)
    n_examples = labels = complete = 0
    for (f, t), n in cells.hist[tallies.Kind.VOTES_PEOPLE].items():
        n_examples += n
        labels += min(f + t, k) * n
        complete += n if f + t >= k else 0
    needed = n_examples * k
    return {
        "mine": cells.annotators().get(user.pk, 0),
        "skipped": Skip.objects.filter(annotator=user, example__in=queue_examples(dataset)).count(),
        "examples": n_examples,
        "overlap": k,
        "labels": labels,
        "needed": needed,
        "complete_examples": complete,
        "percent": round(100.0 * labels / needed, 1) if needed else 100.0,
    }
