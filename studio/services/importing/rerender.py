"""Rendering a dataset's prompts again after its prompt template or max_chars changed (the admin's save).
Prompts are stored (Example.prompt: runs and evaluations read them), so a new limit applies from the next run
on; runs already finished keep the labels they found with the old prompts."""
from django.db import transaction

from studio.models import Dataset, Example

from .prompts import check_template, render
from .text import RAW_KEY, check_max_chars

BATCH = 2000


def check_prompt_settings(dataset: Dataset, template: str, max_chars) -> None:
    """ImportFailed naming the field when `template` uses a field the dataset's examples lack, or max_chars is
    out of bounds."""
    check_max_chars(max_chars)
    sample = Example.objects.filter(dataset=dataset).order_by("pk").values_list("fields", flat=True).first()
    if sample is not None:
        check_template(template, [k for k in sample if k != RAW_KEY])


@transaction.atomic
def rerender_prompts(dataset: Dataset) -> int:
    """Render every example's prompt from its fields with the dataset's template and max_chars; returns how
    many prompts changed."""
    template, max_chars = dataset.prompt_template, check_max_chars(dataset.max_chars)
    changed, batch = 0, []
    rows = Example.objects.filter(dataset=dataset).order_by("pk").only("pk", "fields", "prompt")
    for example in rows.iterator(chunk_size=BATCH):
        prompt = render(template, example.fields, max_chars)
        if prompt != example.prompt:
            example.prompt = prompt
            batch.append(example)
        if len(batch) >= BATCH:
            changed += len(batch)
            Example.objects.bulk_update(batch, ["prompt"])
            batch = []
    if batch:
        changed += len(batch)
        Example.objects.bulk_update(batch, ["prompt"])
    return changed
