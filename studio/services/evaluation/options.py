"""An evaluation's options, checked against the dataset before anything is written: each bad value is refused
with a message naming it. Options come from a form (a QueryDict), the API (JSON) or the `evaluate` command."""
from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from studio.models import Dataset, Example
from studio.services import engine_port
from studio.services.engine_port import outbound
from studio.services.splits import dataset_splits

from . import reference
from .errors import EvaluationRefused

# Prompting conditions: what the demonstrations' labels are (none for the zero-shot ones).
KINDS = ("zero-shot", "zero-shot-chat", "random", "people", "crowd", "icm", "gold")
DEFAULTS = {
    "train_split": "train",
    "test_split": "test",
    "max_demos": None,   # as many as fit in the model's context
    "max_test": 200,
    "repeats": 3,
    "seed": 0,
    "calibrate": None,   # the runs' calibration (see eligibility.default_calibration)
    "measures": ["in-context"],  # how a label source is judged: in context (demonstrations) and/or trained
    "trainer": "probe",          # the trained measure's trainer
    "max_train": None,           # cap on the trained measure's train items per repeat (None: its seeded share)
}
LIMITS = {"max_demos": (0, 1024), "max_test": (1, 100_000), "seed": (0, 2**31 - 1), "repeats": (1, 10),
          "min_labels": (1, 1_000_000), "max_train": (2, 100_000), "finetune_steps": (1, 10_000)}
# The measures (docs/CONTRACTS.md, evaluations): in context = the paper's many-shot prompting; trained = a model
# trained on each source's labels of the train items (a probe on the model's features, or a LoRA finetune).
MEASURES = ("in-context", "trained")
TRAINERS = ("probe", "finetune")
CALIBRATIONS = ("none", "center")
MAX_IDS = 100_000
MAX_MODEL_CONDITIONS = 4


def _list(options: Mapping, name: str) -> list:
    """A list option from JSON (a list), a form (repeated fields) or text ("1, 2 3")."""
    if hasattr(options, "getlist"):
        values = options.getlist(name)
    else:
        values = options.get(name)
        if values is None:
            return []
        if not isinstance(values, (list, tuple)):
            values = [values]
    out = []
    for value in values:
        if isinstance(value, str):
            out.extend(part for part in value.replace(",", " ").split() if part)
        elif value not in (None, ""):
            out.append(value)
    return out


def _ids(options: Mapping, name: str) -> list[int] | None:
    raw = _list(options, name)
    if not raw:
        return None
    if len(raw) > MAX_IDS:
        raise EvaluationRefused(f"{name}: at most {MAX_IDS} ids; got {len(raw)}", name)
    ids = []
    for value in raw:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            raise EvaluationRefused(f"{name} must list whole-number ids; got {str(value)[:40]!r}", name)
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def _int(options: Mapping, name: str):
    raw = options.get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        raise EvaluationRefused(f"{name} must be a whole number; got {raw!r}", name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise EvaluationRefused(f"{name} must be a whole number; got {str(raw)[:40]!r}", name) from None
    lo, hi = LIMITS[name]
    if not lo <= value <= hi:
        raise EvaluationRefused(f"{name} must be between {lo} and {hi}; got {value}", name)
    return value


def _check_model(model: str, field: str) -> str:
    try:
        return outbound.check_model(model)
    except engine_port.ConfigRefused as refusal:
        raise EvaluationRefused(refusal.message, field) from None


def validate_options(dataset: Dataset, options: Mapping | None) -> dict:
    """The evaluation's config from the options given (the defaults for the rest). Refuses, naming the option."""
    options = options or {}
    config = dict(DEFAULTS)
    for name in ("train_split", "test_split", "calibrate"):
        value = options.get(name)
        if value not in (None, ""):
            config[name] = str(value).strip()
    for name in LIMITS:
        value = _int(options, name)
        if value is not None:
            config[name] = value
    config.setdefault("min_labels", None)
    config.setdefault("finetune_steps", None)
    if config["calibrate"] is not None and config["calibrate"] not in CALIBRATIONS:
        raise EvaluationRefused(f"calibrate must be one of {', '.join(CALIBRATIONS)}; got {config['calibrate']!r}",
                                "calibrate")
    config["model"] = _check_model(str(options.get("model") or settings.STUDIO_MODEL).strip(), "model")
    config["backend"] = str(options.get("backend") or "hf")
    if config["backend"] != "hf":
        # an evaluation needs exact log-odds of the label words: the in-process scorer gives them
        raise EvaluationRefused(f"backend: evaluations run on the hf backend; got {config['backend']!r}", "backend")
    config["device"] = str(options.get("device") or settings.STUDIO_MODEL_DEVICE)
    if config["device"] not in engine_port.DEVICES:
        raise EvaluationRefused(f"device {config['device']!r} is not one of {', '.join(engine_port.DEVICES)}", "device")
    config["base_url"] = ""

    kinds = [str(k) for k in _list(options, "conditions")]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise EvaluationRefused(f"conditions: {', '.join(map(repr, unknown))} not among {', '.join(KINDS)}",
                                "conditions")
    config["conditions"] = list(dict.fromkeys(kinds)) or list(KINDS)
    models = [str(m).strip() for m in _list(options, "model_conditions")]
    if len(models) > MAX_MODEL_CONDITIONS:
        raise EvaluationRefused(f"model_conditions: at most {MAX_MODEL_CONDITIONS} other models; got {len(models)}",
                                "model_conditions")
    config["model_conditions"] = [_check_model(m, "model_conditions") for m in dict.fromkeys(models)]
    config["runs"] = _ids(options, "runs") or []
    _measures(options, config)

    splits = dataset_splits(dataset)
    have = ", ".join(repr(s) for s in splits) or "none"
    if config["test_split"] not in splits:
        raise EvaluationRefused(
            f"dataset {dataset.slug!r} has no {config['test_split']!r} split to measure accuracy on (its splits: {have}). "
            "The comparison needs a held-out test split with gold labels: import the dataset with one, "
            "or name another split as test_split.", "test_split")
    if config["train_split"] not in splits:
        raise EvaluationRefused(
            f"dataset {dataset.slug!r} has no {config['train_split']!r} split to take demonstrations from "
            f"(its splits: {have})", "train_split")
    if config["train_split"] == config["test_split"]:
        raise EvaluationRefused("train_split and test_split must differ: demonstrations would include test examples",
                                "test_split")
    # what the test items are scored against: gold, else an adjudication's expert answers (reference.py)
    config["reference"], config["adjudication"] = reference.choose(dataset, options, config["test_split"])
    config["test_ids"] = _checked_ids(dataset, _ids(options, "test_ids"), config["test_split"], "test_ids", gold=True,
                                      answered=config["adjudication"])
    config["demo_pool_ids"] = _checked_ids(dataset, _ids(options, "demo_pool_ids"), config["train_split"],
                                           "demo_pool_ids", gold=False)
    return config


def _measures(options: Mapping, config: dict) -> None:
    """measures (in-context, trained) and the trained measure's trainer, each refused by name when unknown."""
    measures = [str(m).strip() for m in _list(options, "measures")]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise EvaluationRefused(f"measures: {', '.join(repr(m[:40]) for m in unknown[:5])} not among "
                                f"{', '.join(MEASURES)}", "measures")
    config["measures"] = [m for m in MEASURES if m in measures] or list(DEFAULTS["measures"])
    trainer = options.get("trainer")
    trainer = DEFAULTS["trainer"] if trainer in (None, "") else trainer
    if not isinstance(trainer, str) or trainer.strip() not in TRAINERS:
        raise EvaluationRefused(f"trainer must be one of {', '.join(TRAINERS)}; got {str(trainer)[:40]!r}", "trainer")
    config["trainer"] = trainer.strip()
    if "trained" not in config["measures"]:
        for name in ("max_train", "finetune_steps"):
            if config.get(name) is not None:
                raise EvaluationRefused(f"{name} applies to the trained measure: add 'trained' to measures",
                                        name)
    if config.get("finetune_steps") is not None and config["trainer"] != "finetune":
        raise EvaluationRefused("finetune_steps applies to the finetune trainer; the trainer is "
                                f"{config['trainer']!r}", "finetune_steps")


def _checked_ids(dataset: Dataset, ids: list[int] | None, split: str, name: str, *, gold: bool,
                 answered: int | None = None) -> list[int] | None:
    """Ids that must all be this dataset's examples in this split (for test items: with gold, or with an answer
    in adjudication `answered` when the expert's answers score them)."""
    if ids is None:
        return None
    qs = Example.objects.filter(dataset=dataset, split=split, pk__in=ids)
    if gold and answered is not None:
        qs = qs.filter(adjudication_items__adjudication_id=answered, adjudication_items__expert_label__isnull=False)
    elif gold:
        qs = qs.filter(gold__isnull=False)
    found = set(qs.values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        scored = f" answered in adjudication {answered}" if answered is not None else " with gold labels"
        what = f"examples of the {split!r} split{scored if gold else ''}"
        raise EvaluationRefused(f"{name}: {len(missing)} id{'s are' if len(missing) != 1 else ' is'} not {what} of "
                                f"{dataset.slug!r} (e.g. {', '.join(map(str, missing[:5]))})", name)
    return ids
