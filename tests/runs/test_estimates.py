"""A run's estimated duration before it starts: throughput measured on earlier finished batches of the same
model on the same kind of worker, or the default when there are none; the cost model's arithmetic; and the
preview start_run starts from (no worker here)."""
import pytest

from studio.models import ElicitationRun, RunBatch
from studio.services import runs
from studio.services.runs import estimates
from studio.services.runs.estimates import BatchShape, Throughput

from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG

CONFIG = {**FAST_CONFIG, "iterations": 300}


def _finished_run(dataset, user, *, tokens: int, seconds: float, device: str = "auto", seed: int = 100):
    """A run whose batches finished, having spent `tokens` model tokens in `seconds` (what a worker records)."""
    run = runs.start_run(dataset, user=user, device=device, config={**CONFIG, "seed": seed})
    run.batches.update(state=RunBatch.State.COMPLETED, tokens_used=tokens, seconds_used=seconds)
    ElicitationRun.objects.filter(pk=run.pk).update(state=ElicitationRun.State.COMPLETED)
    return run


@pytest.mark.django_db
def test_without_earlier_batches_the_estimate_says_it_uses_the_default(sst2_dataset, admin_user, settings):
    settings.STUDIO_DEFAULT_TOKENS_PER_SECOND = 500
    preview = runs.preview_run(sst2_dataset, user=admin_user, config=CONFIG)
    text = preview.estimate.text
    assert "at 500 tokens/s (default, no earlier runs of this model (hf on auto)" in text
    assert "STUDIO_DEFAULT_TOKENS_PER_SECOND" in text
    assert preview.estimate.measured_batches == 0
    settings.STUDIO_DEFAULT_TOKENS_PER_SECOND = 1000
    faster = runs.preview_run(sst2_dataset, user=admin_user, config=CONFIG).estimate
    assert faster.tokens == preview.estimate.tokens
    assert faster.seconds == pytest.approx(preview.estimate.seconds / 2)
    assert not ElicitationRun.objects.exists()  # a preview writes nothing


@pytest.mark.django_db
def test_the_estimate_uses_the_throughput_measured_on_earlier_batches_of_the_same_model_and_worker(admin_user):
    ds = make_sst2_dataset(name="Sixteen", n=16)
    _finished_run(ds, admin_user, tokens=40_000, seconds=20.0)  # 2,000 tokens/s, in one batch
    # a batch of the same model on another kind of worker, and one still running: neither counts
    _finished_run(ds, admin_user, tokens=10_000, seconds=100.0, device="cpu", seed=101)
    busy = runs.start_run(ds, user=admin_user, config={**CONFIG, "seed": 102})
    busy.batches.update(state=RunBatch.State.RUNNING, tokens_used=1, seconds_used=100.0)

    estimate = runs.preview_run(ds, user=admin_user, config=CONFIG).estimate
    assert "at 2,000 tokens/s (measured on 1 earlier batch of this model (hf on auto))" in estimate.text
    assert estimate.measured_batches == 1
    assert estimate.seconds == pytest.approx(estimate.tokens / 2000, rel=0.01)
    on_cpu = runs.preview_run(ds, user=admin_user, device="cpu", config=CONFIG).estimate
    assert "at 100 tokens/s (measured on 1 earlier batch of this model (hf on cpu))" in on_cpu.text
    on_cuda = runs.preview_run(ds, user=admin_user, device="cuda", config=CONFIG).estimate
    assert "default, no earlier runs of this model (hf on cuda)" in on_cuda.text


@pytest.mark.django_db
def test_a_started_run_records_its_estimate_and_coverage(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    assert "tokens/s (default, no earlier runs of this model" in run.summary["estimate"]["text"]
    assert run.summary["estimate"]["batches"] == 1 and run.summary["estimate"]["workers"] == 1
    assert "iterations are too few" in run.summary["coverage"]["warning"]


@pytest.mark.django_db
def test_an_unconfirmed_run_above_the_limit_is_refused_and_nothing_is_created(sst2_dataset, admin_user, settings):
    settings.STUDIO_CONFIRM_RUN_SECONDS = 0  # every run asks
    with pytest.raises(runs.RunNeedsConfirmation) as refused:
        runs.start_run(sst2_dataset, user=admin_user, config=CONFIG, confirmed=False)
    assert refused.value.kind == "conflict" and refused.value.field == "confirm"
    assert "This run would take about" in str(refused.value) and "STUDIO_CONFIRM_RUN_SECONDS" in str(refused.value)
    assert not ElicitationRun.objects.exists() and not RunBatch.objects.exists()
    run = runs.start_run(sst2_dataset, user=admin_user, config=CONFIG, confirmed=True)
    assert run.summary["estimate"]["needs_confirmation"] is True


# --- the arithmetic (no database) ---

SHAPE = BatchShape(examples=64, prompt_tokens=30.0)
SLOW = Throughput(100.0, 0, "hf on cpu")


def _estimate(shapes, config, workers=1):
    return estimates.estimate(shapes, {"initial_labels": 8, "fill": False, **config}, SLOW, workers=workers,
                              limit_seconds=1800)


def test_batches_run_in_parallel_on_the_workers_there_are():
    one = _estimate([SHAPE] * 4, {"iterations": 200})
    two = _estimate([SHAPE] * 4, {"iterations": 200}, workers=2)
    many = _estimate([SHAPE] * 4, {"iterations": 200}, workers=16)
    assert two.tokens == one.tokens and two.seconds == pytest.approx(one.seconds / 2)
    assert many.seconds == pytest.approx(one.seconds / 4)  # never faster than one batch
    assert "4 batches on 1 worker (STUDIO_RUN_WORKERS" in one.text and "4 batches on 4 workers" in many.text


def test_the_cost_grows_with_iterations_and_exact_scoring_costs_more_than_folds():
    short, long = _estimate([SHAPE], {"iterations": 100}), _estimate([SHAPE], {"iterations": 1000})
    assert long.tokens > 5 * short.tokens
    exact = _estimate([SHAPE], {"iterations": 1000, "scoring": "exact"})
    folds = _estimate([SHAPE], {"iterations": 1000, "scoring": "folds", "folds": 4})
    capped = _estimate([SHAPE], {"iterations": 1000, "scoring": "exact", "max_demos": 8})
    assert folds.tokens < exact.tokens / 5 and capped.tokens < exact.tokens / 3


def test_durations_read_as_a_person_would_say_them():
    assert estimates.duration_words(20) == "under a minute"
    assert estimates.duration_words(12 * 60) == "12 min"
    assert estimates.duration_words(2 * 3600 + 5 * 60) == "2 h 5 min"
    assert estimates.duration_words(3 * 86400 + 4 * 3600) == "3 days 4 h"


def test_a_tiny_batch_costs_at_most_every_possible_prompt_once():
    """Four examples have 4·3³ = 108 possible exact prompts, all kept in the score cache: 3,000 iterations cost
    no more than scoring each once, while the same iterations over 64 examples are not capped."""
    tiny = BatchShape(examples=4, prompt_tokens=30.0)
    capped = _estimate([tiny], {"iterations": 3000})
    assert capped.tokens <= 108 * 4 * 32
    assert _estimate([tiny], {"iterations": 10}).tokens < capped.tokens  # a short search stays under the cap
    assert _estimate([SHAPE], {"iterations": 3000}).tokens > 1000 * capped.tokens
