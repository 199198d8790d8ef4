"""Which examples a run labels. Chosen once when the run starts and frozen in run.example_ids, so a re-delivered
task resumes on exactly the same problem even if people have labeled more examples since."""
from __future__ import annotations

import random

from django.db.models import QuerySet

from studio.models import ElicitationRun, Example
from studio.services.splits import dataset_splits

from .errors import RunRefused

Subset = ElicitationRun.Subset


def choose_example_ids(dataset, *, split: str, subset: str, sample_size: int | None,
                       sample_seed: int | None) -> list[int]:
    if subset not in Subset.values:
        raise RunRefused(f"subset {subset!r} is not one of {', '.join(Subset.values)}")
    qs = Example.objects.filter(dataset=dataset)
    if split:
        qs = qs.filter(split=split)
        if not qs.exists():
            splits = ", ".join(dataset_splits(dataset))
            raise RunRefused(f"split {split!r} has no examples in {dataset.name} (its splits: {splits})")
    if subset == Subset.HUMAN_LABELED:
        qs = qs.filter(human_labels__isnull=False).distinct()
    ids = list(qs.order_by("position", "pk").values_list("pk", flat=True))
    where = f"split {split!r} of {dataset.name}" if split else dataset.name
    if not ids:
        what = "examples with human labels" if subset == Subset.HUMAN_LABELED else "examples"
        raise RunRefused(f"{where} has no {what} to label")
    if subset == Subset.SAMPLE:
        if sample_size is None or sample_size < 1:
            raise RunRefused("sample_size: a random sample needs a size of at least 1")
        if sample_size > len(ids):
            raise RunRefused(f"sample_size: {sample_size} is more than the {len(ids)} examples in {where}")
        rng = random.Random(0 if sample_seed is None else sample_seed)
        chosen = set(rng.sample(ids, sample_size))
        ids = [pk for pk in ids if pk in chosen]  # keep dataset order
    return ids


def run_examples(run: ElicitationRun) -> QuerySet[Example]:
    """The run's example subset, in a stable order (dataset position)."""
    return Example.objects.filter(pk__in=run.example_ids).order_by("position", "pk")
