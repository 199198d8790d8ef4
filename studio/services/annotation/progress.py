"""Progress shown on the labeling page: the annotator's own counts and the dataset's completion.
Counts only: no label values, so nothing about what anyone else answered. Read from the tallies (kept on
write): a few dozen rows however large the pool."""
from studio.models import Dataset, Skip
from studio.services import tallies

from .queue import queue_examples


def progress(user, dataset: Dataset) -> dict:
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
