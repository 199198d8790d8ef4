"""A small real studio dataset: SST-2 dev sentences with their gold labels."""
from __future__ import annotations

from tests.support import sst2

PROMPT = "Review: {sentence}\nClaim: this review is positive. True or False?\nAnswer:"


def make_sst2_dataset(name: str = "SST-2 dev sample", n: int = 8, **dataset_fields):
    """A text dataset of n short SST-2 dev sentences (train split, gold attached), labels interleaved."""
    from django.utils.text import slugify

    from studio.models import Dataset, Example, GoldLabel

    ds = Dataset.objects.create(
        name=name, slug=slugify(name), preset="sst2", task_type=Dataset.TaskType.TEXT,
        question="Is the sentiment of this review positive?", prompt_template=PROMPT,
        display_fields=["sentence"], source="GLUE SST-2 dev (see data/README)", **dataset_fields,
    )
    # Interleave so any prefix of the examples holds both labels.
    sentences = sst2.short_positives_then_negatives(n)
    order = [x for pair in zip(sentences[: n // 2], sentences[n // 2:]) for x in pair]
    for position, (sentence, label) in enumerate(order):
        ex = Example.objects.create(dataset=ds, external_id=f"dev-{position}", split="train", position=position,
                                    fields={"sentence": sentence}, prompt=PROMPT.format(sentence=sentence))
        GoldLabel.objects.create(example=ex, label=label)
    return ds
