"""A small studio for the API tests: two datasets, people in every role, labels, runs and tokens.

Roles (the permission matrix's rows): anonymous; `ann` annotates dataset A; `outsider` annotates only
dataset B; `rev` reviews A; `boss` is an admin (staff)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from studio.models import (
    AnnotationClaim,
    Dataset,
    ElicitationRun,
    ElicitedLabel,
    Example,
    GoldLabel,
    HumanLabel,
    ImportJob,
    Membership,
    RunEvent,
)
from studio.services import api_tokens, tallies

ROLES = ["anonymous", "annotator", "outsider", "reviewer", "admin"]
PROMPT = "Claim: {claim}\nI think this claim is"


@dataclass
class World:
    a: Dataset
    b: Dataset
    users: dict
    keys: dict
    examples_a: list
    examples_b: list
    gold_a: dict
    own_label: HumanLabel  # ann's label on A
    others_label: HumanLabel  # another annotator's label on A
    crowd_label: HumanLabel
    label_b: HumanLabel
    run_a: ElicitationRun
    active_run_a: ElicitationRun
    run_b: ElicitationRun
    elicited_a: ElicitedLabel
    claimed_for_ann: Example  # handed to ann, not labeled yet
    import_job: ImportJob
    extra: dict = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        """An API client authenticated the way scripts do: Authorization: Token <key>."""
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.keys[role]}")
        return client


def make_dataset(name: str, n: int, *, task_type: str = "claim") -> tuple[Dataset, list[Example], dict]:
    ds = Dataset.objects.create(name=name, slug=name.lower().replace(" ", "-"), task_type=task_type,
                                prompt_template=PROMPT, question="Is the claim true?", display_fields=["claim"])
    examples, gold = [], {}
    for i in range(n):
        claim = f"{name} claim {i}"
        ex = Example.objects.create(dataset=ds, external_id=f"{ds.slug}-{i}", split="train" if i % 3 else "test",
                                    position=i, fields={"claim": claim, "note": f"note {i}"},
                                    prompt=PROMPT.format(claim=claim), group=f"g{i // 2}", key=f"k{i % 2}")
        GoldLabel.objects.create(example=ex, label=i % 2 == 0)
        examples.append(ex)
        gold[ex.pk] = i % 2 == 0
    return ds, examples, gold


def make_run(ds: Dataset, examples: list[Example], *, state="completed", fingerprint="fp", filled=(),
             batch_size: int = 3) -> ElicitationRun:
    """A run labeling every example (True unless its index is a multiple of 3); the indices in `filled` are
    filled labels (predicted after the search), the rest elicited; batches of `batch_size` in order."""
    run = ElicitationRun.objects.create(dataset=ds, state=state, fingerprint=f"{fingerprint}-{ds.pk}",
                                        example_count=len(examples), labeled_count=len(examples))
    Kind = ElicitedLabel.Kind
    ElicitedLabel.objects.bulk_create([
        ElicitedLabel(run=run, example=ex, label=i % 3 != 0, score=(1.0 + i) * (1 if i % 3 else -1),
                      kind=Kind.FILLED if i in filled else Kind.ELICITED, batch=i // batch_size)
        for i, ex in enumerate(examples)
    ])
    RunEvent.objects.create(run=run, iteration=1, energy=-3.5, labeled_count=len(examples), accuracy=0.5)
    return run


@pytest.fixture
def world(db) -> World:
    User = get_user_model()
    users = {
        "annotator": User.objects.create_user("ann", password="pw-ann-12345"),
        "outsider": User.objects.create_user("outsider", password="pw-out-12345"),
        "reviewer": User.objects.create_user("rev", password="pw-rev-12345"),
        "admin": User.objects.create_user("boss", password="pw-boss-12345", is_staff=True, is_superuser=True),
    }
    other_annotator = User.objects.create_user("ann2", password="pw-ann2-12345")
    a, examples_a, gold_a = make_dataset("Dataset A", 6)
    b, examples_b, _ = make_dataset("Dataset B", 4)
    Membership.objects.create(user=users["annotator"], dataset=a, role="annotator")
    Membership.objects.create(user=other_annotator, dataset=a, role="annotator")
    Membership.objects.create(user=users["outsider"], dataset=b, role="annotator")
    Membership.objects.create(user=users["reviewer"], dataset=a, role="reviewer")
    a.annotation_overlap = 3
    a.save()

    own = HumanLabel.objects.create(example=examples_a[0], annotator=users["annotator"], label=True)
    others = HumanLabel.objects.create(example=examples_a[0], annotator=other_annotator, label=False)
    crowd = HumanLabel.objects.create(example=examples_a[1], source="crowd", crowd_voter=1, label=True)
    label_b = HumanLabel.objects.create(example=examples_b[0], annotator=users["outsider"], label=True)
    now = timezone.now()
    AnnotationClaim.objects.create(example=examples_a[2], annotator=users["annotator"],
                                   expires_at=now + timedelta(minutes=10))

    run_a = make_run(a, examples_a, filled=(3, 4))  # one filled False, one filled True
    active = ElicitationRun.objects.create(dataset=a, state="running", fingerprint=f"active-{a.pk}")
    run_b = make_run(b, examples_b)
    for ds in (a, b):  # written past the services above: count the aggregates as an import would
        tallies.rebuild(ds)
    job = ImportJob.objects.create(name="Old import", fmt="jsonl", state="completed", dataset=b,
                                   created_by=users["admin"])
    keys = {role: api_tokens.create_token(user, "tests")[1] for role, user in users.items()}
    return World(
        a=a, b=b, users=users, keys=keys, examples_a=examples_a, examples_b=examples_b, gold_a=gold_a,
        own_label=own, others_label=others, crowd_label=crowd, label_b=label_b, run_a=run_a,
        active_run_a=active, run_b=run_b, elicited_a=run_a.labels.order_by("pk").first(),
        claimed_for_ann=examples_a[2], import_job=job, extra={"other_annotator": other_annotator},
    )
