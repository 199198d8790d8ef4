"""Evaluations learn their speed like runs (issue 26: the evaluation estimate was always the 200 tokens/s
default): the tokens and seconds of this model's finished evaluations, else its runs' batches (canceled ones
too), else the default — and the estimate's sentence says which."""
import pytest
from django.utils import timezone

from studio.models import ElicitationRun, Evaluation, RunBatch
from studio.services.runs.estimates import evaluation_throughput, measured_throughput

pytestmark = pytest.mark.django_db


def _batch(ds, state, tokens, seconds, index=0):
    run = ElicitationRun.objects.create(dataset=ds, model="smollm2", backend="hf", device="auto",
                                        fingerprint=f"fp-{state}-{index}", state=state)
    return RunBatch.objects.create(run=run, index=0, seed=0, state=state, tokens_used=tokens, seconds_used=seconds,
                                   finished_at=timezone.now())


def test_the_evaluation_estimate_goes_by_evaluations_then_runs_then_the_default(sst2_dataset, settings):
    settings.STUDIO_DEFAULT_TOKENS_PER_SECOND = 200
    nothing = evaluation_throughput(model="smollm2")
    assert nothing.tokens_per_second == 200 and not nothing.measured and "default" in nothing.source()

    _batch(sst2_dataset, "canceled", 3000, 10.0)  # a canceled batch measured its speed too
    by_runs = evaluation_throughput(model="smollm2")
    assert by_runs.tokens_per_second == pytest.approx(300) and by_runs.batches == 1
    assert measured_throughput(model="smollm2", backend="hf", device="auto").tokens_per_second == pytest.approx(300)

    Evaluation.objects.create(dataset=sst2_dataset, state="completed", config={"model": "smollm2"},
                              results={"tokens": 5000, "seconds": 10.0}, finished_at=timezone.now())
    Evaluation.objects.create(dataset=sst2_dataset, state="completed", config={"model": "other-model"},
                              results={"tokens": 99999, "seconds": 1.0}, finished_at=timezone.now())
    Evaluation.objects.create(dataset=sst2_dataset, state="failed", config={"model": "smollm2"},
                              results={"tokens": 1, "seconds": 100.0})
    by_evaluations = evaluation_throughput(model="smollm2")
    assert by_evaluations.tokens_per_second == pytest.approx(500) and by_evaluations.batches == 1
    assert by_evaluations.source().startswith("measured on 1 earlier evaluation of this model")
