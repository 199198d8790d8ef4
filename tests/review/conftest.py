"""A reviewed alpaca dataset: the real crowd votes, a completed ICM run with curves, three annotators and a
completed evaluation (results written directly; the evaluation service is tested on its own)."""
from types import SimpleNamespace

import pytest

from studio.models import Example
from tests.review import factories


@pytest.fixture
def reviewed(db):
    ds = factories.alpaca_dataset()
    run = factories.completed_run(ds, "", accuracy=0.8, seed=1, events=60)
    users = factories.annotators(3)
    test_ids = list(Example.objects.filter(dataset=ds, split="test").order_by("position").values_list("pk", flat=True))
    train_ids = list(Example.objects.filter(dataset=ds, split="train").order_by("position").values_list("pk", flat=True))
    factories.annotate(ds, users[:2], test_ids[:150] + train_ids[:60], accuracy=0.7, seed=2)
    factories.annotate(ds, users[2:], test_ids[:80] + train_ids[:60], accuracy=0.65, seed=3)
    evaluation = factories.evaluation_with_results(ds, [run])
    return SimpleNamespace(dataset=ds, run=run, users=users, evaluation=evaluation, test_ids=test_ids)
