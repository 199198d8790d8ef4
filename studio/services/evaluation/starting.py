"""Starting an evaluation: its options checked against the dataset, a pending row, its task queued."""
from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import transaction

from studio.models import Dataset, Evaluation, GoldLabel
from studio.services.splits import dataset_splits
from studio.services import jobs

from .errors import EvaluationRefused

TASK = "studio.tasks.evaluation.run_evaluation"  # routed to the gpu queue by name (settings)


class EvaluationNotQueued(jobs.QueueUnavailable, EvaluationRefused):
    """The evaluation was created but the broker refused its task: it is failed, the message says so."""

DEFAULTS = {
    "train_split": "train",
    "test_split": "test",
    "max_demos": 32,
    "max_test": 200,
    "seed": 0,
    "calibrate": "none",
}
LIMITS = {"max_demos": (0, 1024), "max_test": (1, 100_000), "seed": (0, 2**31 - 1)}
CALIBRATIONS = ("none", "center")


def validate_options(dataset: Dataset, options: Mapping | None) -> dict:
    options = options or {}
    config = dict(DEFAULTS)
    for name in ("train_split", "test_split", "calibrate"):
        value = options.get(name)
        if value not in (None, ""):
            config[name] = str(value).strip()
    for name, (lo, hi) in LIMITS.items():
        raw = options.get(name)
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise EvaluationRefused(f"{name} must be a whole number; got {raw!r}") from None
        if not lo <= value <= hi:
            raise EvaluationRefused(f"{name} must be between {lo} and {hi}; got {value}")
        config[name] = value
    if config["calibrate"] not in CALIBRATIONS:
        raise EvaluationRefused(f"calibrate must be one of {', '.join(CALIBRATIONS)}; got {config['calibrate']!r}")
    config["model"] = str(options.get("model") or settings.STUDIO_MODEL)
    config["backend"] = str(options.get("backend") or "hf")
    config["device"] = str(options.get("device") or settings.STUDIO_MODEL_DEVICE)
    config["base_url"] = str(options.get("base_url") or "")

    splits = dataset_splits(dataset)
    have = ", ".join(repr(s) for s in splits) or "none"
    if config["test_split"] not in splits:
        raise EvaluationRefused(
            f"dataset {dataset.slug!r} has no {config['test_split']!r} split to measure accuracy on (its splits: {have}). "
            "The comparison needs a held-out test split with gold labels: import the dataset with one, "
            "or name another split as test_split.")
    if config["train_split"] not in splits:
        raise EvaluationRefused(
            f"dataset {dataset.slug!r} has no {config['train_split']!r} split to take demonstrations from (its splits: {have})")
    if config["train_split"] == config["test_split"]:
        raise EvaluationRefused("train_split and test_split must differ: demonstrations would include test examples")
    if not GoldLabel.objects.filter(example__dataset=dataset, example__split=config["test_split"]).exists():
        raise EvaluationRefused(f"the {config['test_split']!r} split has no gold labels: accuracy cannot be measured")
    return config


def start_evaluation(dataset: Dataset, *, user=None, options: Mapping | None = None,
                     enqueue: bool = True) -> Evaluation:
    """Validate, record a pending Evaluation and enqueue its task on the `gpu` queue. One active
    evaluation per dataset: a second start while one is pending or running is refused. When the broker is
    down the evaluation is created failed (so it blocks no later start) and EvaluationNotQueued says so."""
    config = validate_options(dataset, options)
    with transaction.atomic():
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()  # serialize concurrent starts
        active = Evaluation.objects.filter(dataset=dataset, state__in=Evaluation.ACTIVE_STATES).first()
        if active:
            raise EvaluationRefused(f"evaluation {active.pk} of this dataset is still {active.state}; wait for it to finish")
        ev = Evaluation.objects.create(dataset=dataset, config=config, celery_task_id=jobs.new_task_id(),
                                       created_by=user if user and user.is_authenticated else None)
        if enqueue:
            jobs.queue_after_commit(ev, TASK, refusal=EvaluationNotQueued)
    return ev
