"""Progress shown on the labeling page: the annotator's own counts and the dataset's completion.
Counts only: no label values, so nothing about what anyone else answered. Read from the tallies (kept on
write): a few dozen rows however large the pool."""
from studio.models import Dataset, Skip
from studio.services import tallies
from studio.services.studies.queue_scope import InStudy, open_study
from studio.services.tallies import study_counts

from .queue import queue_examples


def _study_progress(user, dataset: Dataset, study) -> dict:
    """While a study's labeling is open: the counts over its people items (a comparison pair counted once), read
    from the study's tallies (kept on write) and the person's own skips there."""
    k = dataset.annotation_overlap
    counted = study_counts.progress(study)
    n_examples = counted["units"]
    labels = sum(min(who, k) * n for who, n in counted["histogram"].items())
    complete = sum(n for who, n in counted["histogram"].items() if who >= k)
    needed = n_examples * k
    return {
        "mine": counted["people"].get(user.pk, 0),
        "skipped": Skip.objects.filter(InStudy("example_id", study), annotator=user).count(),
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
