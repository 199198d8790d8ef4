"""Running an evaluation in the worker: every condition scored on the same test examples, the results recorded."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from studio.models import Evaluation, Example
from studio.services import jobs

from .errors import EvaluationRefused
from .planning import plan
from .prompts import ManyShotPrompts, fit_to_context

log = logging.getLogger(__name__)


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
    # A re-delivered task (its worker died) runs it again; a finished or canceled one is left alone.
    if not jobs.claim(Evaluation, ev.pk, states=Evaluation.ACTIVE_STATES, error=""):
        return ev
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
        jobs.finish(Evaluation, ev.pk, Evaluation.State.COMPLETED, config=config, results=results)
    except Exception as exc:
        log.exception("evaluation %s failed", ev.pk)
        message = str(exc) if isinstance(exc, EvaluationRefused) else f"{type(exc).__name__}: {exc}"
        jobs.fail(Evaluation, ev.pk, message)
    ev.refresh_from_db()
    return ev


def mark_failed(evaluation_id: int, exc: BaseException) -> bool:
    """Fail an unfinished evaluation (never overwrite a finished one)."""
    return jobs.fail(Evaluation, evaluation_id, exc)


def engine_backend(config: dict, get_backend: Callable | None):
    """The engine backend for this evaluation: the worker's cached one (get_backend) or a fresh load."""
    if get_backend is None:
        from elicitation import load_backend

        return load_backend(model=config["model"], kind=config["backend"], device=config["device"],
                            base_url=config.get("base_url") or None)
    backend, _ = get_backend(model=config["model"], kind=config["backend"], device=config["device"],
                             base_url=config.get("base_url") or None)
    return backend
