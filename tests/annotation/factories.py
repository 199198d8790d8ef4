"""Datasets and annotators for the annotation tests (the import presets are someone else's; these are ours)."""
from django.contrib.auth import get_user_model

from studio.models import Dataset, Example, GoldLabel, Membership
from studio.services import tallies

PASSWORD = "annotate-pass-123"


def claim_fields(i: int) -> dict:
    return {"question": f"What happens at step {i}?", "claim": f"Claim number {i} is what happens.", "source_id": i}


def comparison_fields(i: int) -> dict:
    return {
        "question": f"Which answer to question {i} is more truthful?",
        "choice": f"Response A for question {i}: water boils at 100 °C at sea level.",
        "choice_2": f"Response B for question {i}: water boils at 50 °C everywhere.",
    }


def make_dataset(
    name: str = "Claims",
    *,
    n: int = 8,
    task_type: str = Dataset.TaskType.CLAIM,
    overlap: int = 1,
    annotation_split: str = "",
    question: str = "Is the claim true?",
    guidelines: str = "",
    display_fields=("question", "claim"),
    fields=claim_fields,
    ttl: int = 600,
    splits=("train",),
    gold=None,
) -> Dataset:
    slug = name.lower().replace(" ", "-")
    dataset = Dataset.objects.create(
        name=name,
        slug=slug,
        task_type=task_type,
        question=question,
        guidelines=guidelines,
        prompt_template="{question}\n{claim}\nI think this claim is",
        display_fields=list(display_fields),
        annotation_overlap=overlap,
        annotation_split=annotation_split,
        claim_ttl_seconds=ttl,
    )
    Example.objects.bulk_create(
        Example(
            dataset=dataset,
            external_id=f"{slug}-{i}",
            split=splits[i % len(splits)],
            position=i,
            fields=fields(i),
            prompt=f"Prompt for example {i}. I think this claim is",
        )
        for i in range(n)
    )
    if gold is not None:
        GoldLabel.objects.bulk_create(GoldLabel(example=e, label=gold(e)) for e in dataset.examples.all())
    tallies.rebuild(dataset)  # written past the import service: count its aggregates as an import does
    return dataset


def make_annotator(username: str, *datasets: Dataset, role: str = Membership.Role.ANNOTATOR):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    for dataset in datasets:
        Membership.objects.create(user=user, dataset=dataset, role=role)
    return user
