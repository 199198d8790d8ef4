"""Progress shown on the labeling page: the annotator's own counts and the dataset's completion.
Counts only: no label values, so nothing about what anyone else answered. Read from the tallies (kept on
write): a few dozen rows however large the pool."""
from studio.models import Dataset, Example, HumanLabel, Skip
from studio.services import tallies
from studio.services.studies.queue_scope import open_study

from .queue import queue_examples


def _study_progress(user, dataset: Dataset, study) -> dict:
    """While a study's labeling is open: the counts over its people items (a comparison pair counted once)."""
    k = dataset.annotation_overlap
    rows = Example.objects.filter(dataset=dataset, pk__in=study.people_item_ids).values_list("pk", "group", "people_votes")
    if tallies.has_twins(dataset):
        seen, kept = set(), []
        for pk, group, votes in rows:
            if not group or group not in seen:
                kept.append((pk, group, votes))
                seen.add(group)
        rows = kept
    rows = list(rows)
    n_examples = len(rows)
    labels = sum(min(v, k) for _, _, v in rows)
    needed = n_examples * k
    items = Example.objects.filter(dataset=dataset, pk__in=study.people_item_ids)
    return {
        "mine": HumanLabel.objects.filter(annotator=user, example__in=items).count(),
        "skipped": Skip.objects.filter(annotator=user, example__in=items).count(),
        "examples": n_examples,
        "overlap": k,
        "labels": labels,
        "needed": needed,
        "complete_examples": sum(1 for _, _, v in rows if v >= k),
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
