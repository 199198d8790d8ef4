"""The paper's comparison (Wen et al. 2025, Fig. 2-3): test-split accuracy of the model prompted many-shot
with train-split demonstrations labeled by each source — zero-shot (none), random labels, gold labels, the
people's majority, and each completed ICM run — each test example labeled by the sign of its log-odds.

`start_evaluation` validates and enqueues (Celery, `gpu` queue); `execute_evaluation` does the work in the
worker. The demonstrations are chosen the same way for every condition so they differ only in labels as far
as coverage allows: one seeded permutation of the train split, and each condition takes the first
`max_demos` examples it has a label for, in that order; then, if the prompts would not fit the model's
context, the same number is dropped from every condition until the longest prompt fits. Scores come from
the engine's own baseline scorer (elicitation.baselines, the exact scorer ICM uses, with its prompt format),
so every condition is measured the same way. Everything chosen is recorded in Evaluation.config / results.
Gold never reaches the engine except as the gold-labels condition's demonstrations.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from studio.models import Dataset, ElicitationRun, ElicitedLabel, Evaluation, Example, GoldLabel, HumanLabel

log = logging.getLogger(__name__)

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


class EvaluationRefused(ValueError):
    """The evaluation cannot start; the message names the field or the missing data."""


# --- starting --------------------------------------------------------------------------------------------

def _splits(dataset: Dataset) -> list[str]:
    return sorted(set(Example.objects.filter(dataset=dataset).values_list("split", flat=True).distinct()))


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

    splits = _splits(dataset)
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
    evaluation per dataset: a second start while one is pending or running is refused."""
    config = validate_options(dataset, options)
    with transaction.atomic():
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()  # serialize concurrent starts
        active = Evaluation.objects.filter(dataset=dataset, state__in=[Evaluation.State.PENDING,
                                                                       Evaluation.State.RUNNING]).first()
        if active:
            raise EvaluationRefused(f"evaluation {active.pk} of this dataset is still {active.state}; wait for it to finish")
        ev = Evaluation.objects.create(dataset=dataset, config=config, created_by=user if user and user.is_authenticated else None)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(ev.pk))
    return ev


def _enqueue(evaluation_id: int) -> None:
    from studio.tasks.evaluation import run_evaluation

    result = run_evaluation.delay(evaluation_id)
    Evaluation.objects.filter(pk=evaluation_id).update(celery_task_id=result.id or "")


# --- planning (database only) ------------------------------------------------------------------------------

def _people_majority_ids(dataset: Dataset, split: str) -> tuple[set[int], set[int]]:
    rows = (HumanLabel.objects.filter(example__dataset=dataset, example__split=split, source=HumanLabel.Source.ANNOTATOR)
            .order_by().values("example_id")
            .annotate(t=Count("pk", filter=Q(label=True)), f=Count("pk", filter=Q(label=False))))
    true_ids = set(rows.filter(t__gt=F("f")).values_list("example_id", flat=True))
    false_ids = set(rows.filter(f__gt=F("t")).values_list("example_id", flat=True))
    return true_ids, false_ids


def plan(dataset: Dataset, config: dict) -> dict:
    """Which test examples and which demonstrations (with which labels) each condition uses."""
    train, test = config["train_split"], config["test_split"]
    seed = int(config["seed"])
    # test examples: those with gold, a seeded sample of at most max_test, in dataset order
    test_ids = list(GoldLabel.objects.filter(example__dataset=dataset, example__split=test)
                    .order_by("example__position").values_list("example_id", flat=True))
    if len(test_ids) > config["max_test"]:
        keep = set(random.Random(seed).sample(test_ids, config["max_test"]))
        test_ids = [i for i in test_ids if i in keep]

    train_ids = list(Example.objects.filter(dataset=dataset, split=train).order_by("pk").values_list("pk", flat=True))
    order = train_ids[:]
    random.Random(seed).shuffle(order)
    k = config["max_demos"]

    def first_k(labels: dict[int, bool]) -> list[tuple[int, bool]]:
        out = []
        for ex_id in order:
            if ex_id in labels:
                out.append((ex_id, labels[ex_id]))
                if len(out) == k:
                    break
        return out

    label_rng = random.Random(seed + 1)
    conditions = [{"key": "zero-shot", "kind": "zero-shot", "name": "Zero-shot", "demos": []}]
    if k:
        coins = [True] * (min(k, len(order)) // 2) + [False] * (min(k, len(order)) - min(k, len(order)) // 2)
        label_rng.shuffle(coins)  # half true, as the engine's random-labels baseline
        conditions.append({"key": "random", "kind": "random", "name": "Random labels",
                           "demos": list(zip(order[:k], coins))})
        gold = dict(GoldLabel.objects.filter(example__dataset=dataset, example__split=train)
                    .values_list("example_id", "label"))
        if gold:
            conditions.append({"key": "gold", "kind": "gold", "name": "Gold labels", "demos": first_k(gold)})
        t_ids, f_ids = _people_majority_ids(dataset, train)
        if t_ids or f_ids:
            people = {i: True for i in t_ids} | {i: False for i in f_ids}
            conditions.append({"key": "people", "kind": "people", "name": "People's majority", "demos": first_k(people)})
        runs = (ElicitationRun.objects.filter(dataset=dataset, state=ElicitationRun.State.COMPLETED)
                .filter(Q(split="") | Q(split=train)).order_by("pk"))
        for run in runs:
            labels = dict(ElicitedLabel.objects.filter(run=run, example__split=train, label__isnull=False)
                          .values_list("example_id", "label"))
            if labels:
                conditions.append({"key": f"run:{run.pk}", "kind": "icm", "name": f"ICM run {run.pk}",
                                   "run_id": run.pk, "demos": first_k(labels)})
    return {"test_ids": test_ids, "conditions": conditions, "train_size": len(train_ids)}


# --- prompts ------------------------------------------------------------------------------------------------

class ManyShotPrompts:
    """The engine's prompt format (elicitation.prompts.PromptBuilder: demonstrations = prompt + label word,
    a blank line between them, the query last), over the examples an evaluation uses."""

    def __init__(self, prompts_by_id: dict[int, str], label_words: tuple[str, str]):
        from elicitation.prompts import PromptBuilder

        self.ids = list(prompts_by_id)
        self.index = {ex_id: k for k, ex_id in enumerate(self.ids)}
        self.builder = PromptBuilder([prompts_by_id[i] for i in self.ids], label_words)

    def demonstration(self, ex_id: int, label: bool) -> str:
        return self.builder.demonstration(self.index[ex_id], label)

    def prompt(self, demos: list[tuple[int, bool]], query_id: int) -> str:
        return self.builder.prompt([(self.index[i], lab) for i, lab in demos], self.index[query_id])


def fit_to_context(conditions: list[dict], test_ids: list[int], prompts: ManyShotPrompts, count_tokens,
                   max_tokens: int | None) -> int:
    """How many demonstrations every condition may keep so that its longest prompt fits the model's
    context (the same number for all, so conditions differ in labels, not in how many shots they get)."""
    most = max((len(c["demos"]) for c in conditions), default=0)
    if count_tokens is None or not max_tokens:
        return most
    longest_query = max(count_tokens(prompts.prompt([], i)) or 0 for i in test_ids)
    if longest_query + 1 > max_tokens:
        raise EvaluationRefused(f"a test prompt has {longest_query} tokens; the model's context holds {max_tokens}")
    sep = count_tokens("\n\n") or 1
    allowed = most
    for c in conditions:
        total, fit = longest_query + 1, 0
        for ex_id, label in c["demos"][:allowed]:
            total += (count_tokens(prompts.demonstration(ex_id, label)) or 0) + sep
            if total > max_tokens:
                break
            fit += 1
        if c["demos"]:
            allowed = min(allowed, fit)
    return allowed


# --- executing (the worker) ---------------------------------------------------------------------------------

def _score_condition(demos: list[tuple[int, bool]], test_ids: list[int], texts: dict[int, str], backend,
                     icm_config) -> tuple[list[float], int]:
    """Test log-odds under one condition, by the engine's baseline scorer (the scorer ICM itself uses):
    zero-shot without demonstrations, else many-shot with these demonstrations and labels."""
    from elicitation import Example as EngineExample
    from elicitation import Problem, baselines

    test = Problem([EngineExample(f"t{i}", texts[i]) for i in test_ids])
    if not demos:
        result = baselines.zero_shot(test, backend, icm_config)
    else:
        shots = Problem([EngineExample(f"d{i}", texts[i]) for i, _ in demos])
        # gold_labels is the engine's "many-shot with these labels": here they are each source's labels
        result = baselines.gold_labels(shots, {f"d{i}": label for i, label in demos}, backend, icm_config, test=test)
    return [float(result.scores[f"t{i}"]) for i in test_ids], int(result.summary.get("tokens", 0))


def execute_evaluation(evaluation_id: int, *, get_backend: Callable | None = None, backend=None) -> Evaluation:
    """Run an evaluation to completion (or failure, with the error recorded). `backend` (an engine
    backend already loaded) or `get_backend(model=, kind=, device=, base_url=)` supplies the model."""
    ev = Evaluation.objects.select_related("dataset").get(pk=evaluation_id)
    if ev.state == Evaluation.State.COMPLETED:
        return ev  # a re-delivered task finds the work done
    Evaluation.objects.filter(pk=ev.pk).update(state=Evaluation.State.RUNNING, error="")
    started = time.monotonic()
    try:
        from elicitation import ICMConfig

        config = dict(ev.config or {})
        dataset = ev.dataset
        p = plan(dataset, config)
        if not p["test_ids"]:
            raise EvaluationRefused(f"the {config['test_split']!r} split has no examples with gold labels")
        if backend is None:
            backend = engine_backend(config, get_backend)
        label_words = (dataset.true_word, dataset.false_word)
        icm_config = ICMConfig(seed=int(config["seed"]), calibrate=config.get("calibrate", "none"),
                               label_words=label_words)
        needed = list(dict.fromkeys([*p["test_ids"], *(i for c in p["conditions"] for i, _ in c["demos"])]))
        texts = dict(Example.objects.filter(pk__in=needed).values_list("pk", "prompt"))
        prompts = ManyShotPrompts({i: texts[i] for i in needed}, label_words)
        keep = fit_to_context(p["conditions"], p["test_ids"], prompts, getattr(backend, "count_tokens", None),
                              getattr(backend, "context_length", None))
        results_sources, tokens = [], 0
        for c in p["conditions"]:
            demos = c["demos"][:keep]
            scores, used = _score_condition(demos, p["test_ids"], texts, backend, icm_config)
            tokens += used
            results_sources.append({
                "key": c["key"], "kind": c["kind"], "name": c["name"], "run_id": c.get("run_id"),
                "n_demos": len(demos), "demo_true": sum(1 for _, lab in demos if lab),
                "demo_ids": [i for i, _ in demos],
                "predictions": [x > 0 for x in scores],
                "scores": [round(x, 6) for x in scores],
            })
        most = max(len(c["demos"]) for c in p["conditions"])
        config.update({
            "demos_per_condition": keep,
            "demos_trimmed_for_context": keep < most,
            "context_tokens": getattr(backend, "context_length", None),
            "train_size": p["train_size"],
        })
        results = {
            "test_split": config["test_split"],
            "train_split": config["train_split"],
            "example_ids": p["test_ids"],
            "sources": results_sources,
            "seconds": round(time.monotonic() - started, 2),
            "tokens": tokens,
            "model": getattr(backend, "name", config.get("model")),
        }
        Evaluation.objects.filter(pk=ev.pk).update(state=Evaluation.State.COMPLETED, config=config, results=results,
                                                   finished_at=timezone.now())
    except Exception as exc:
        log.exception("evaluation %s failed", ev.pk)
        message = str(exc) if isinstance(exc, EvaluationRefused) else f"{type(exc).__name__}: {exc}"
        Evaluation.objects.filter(pk=ev.pk).update(state=Evaluation.State.FAILED, error=message,
                                                   finished_at=timezone.now())
    ev.refresh_from_db()
    return ev


def mark_failed(evaluation_id: int, exc: BaseException) -> None:
    Evaluation.objects.filter(pk=evaluation_id, state__in=[Evaluation.State.PENDING, Evaluation.State.RUNNING]).update(
        state=Evaluation.State.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now())


# --- the model ------------------------------------------------------------------------------------------------

def engine_backend(config: dict, get_backend: Callable | None):
    """The engine backend for this evaluation: the worker's cached one (get_backend) or a fresh load."""
    if get_backend is None:
        from elicitation import load_backend

        return load_backend(model=config["model"], kind=config["backend"], device=config["device"],
                            base_url=config.get("base_url") or None)
    backend, _ = get_backend(model=config["model"], kind=config["backend"], device=config["device"],
                             base_url=config.get("base_url") or None)
    return backend
