"""The home page's per-dataset summary, computed with aggregates (no per-row Python loops)."""
from django.db.models import Count, Q

from studio.models import Dataset
from studio.services import access


def dataset_overview(user, datasets):
    rows = []
    annotate = set(access.annotatable_datasets(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    review = set(access.reviewable_datasets(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    qs = datasets.annotate(
        n_examples=Count("examples", distinct=True),
        n_runs=Count("runs", distinct=True),
        n_completed_runs=Count("runs", filter=Q(runs__state="completed"), distinct=True),
    )
    for ds in qs:
        reviewer = ds.pk in review  # runs are the reviewers' business: annotators are not told how many
        rows.append(
            {
                "dataset": ds,
                "n_examples": ds.n_examples,
                "n_runs": ds.n_runs if reviewer else None,
                "n_completed_runs": ds.n_completed_runs if reviewer else None,
                "can_annotate": ds.pk in annotate,
                "can_review": ds.pk in review,
            }
        )
    return rows


__all__ = ["dataset_overview", "Dataset"]
