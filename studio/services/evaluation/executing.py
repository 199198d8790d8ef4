"""Running an evaluation in the worker: every condition scored on the same test examples, the results recorded."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from studio.models import Evaluation, Example
from studio.services import engine_port, jobs

from .errors import EvaluationRefused
from .planning import plan
from .prompts import ManyShotPrompts, fit_to_context

log = logging.getLogger(__name__)


def _score_condition(demos: list[tuple[int, bool]], test_ids: list[int], texts: dict[int, str], backend,
                     icm_config) -> tuple[list[float], int]:
    """Test log-odds under one condition, by the engine's baseline scorer (the scorer ICM itself uses):
    zero-shot without demonstrations, else many-shot with these demonstrations and labels."""
    from studio.services.engine_port.work import score_test

    scores, tokens = score_test([(f"d{i}", texts[i], label) for i, label in demos],
                                [(f"t{i}", texts[i]) for i in test_ids], backend, icm_config)
    return [scores[f"t{i}"] for i in test_ids], tokens


def execute_evaluation(evaluation_id: int, *, get_backend: Callable = engine_port.get_backend,
                       backend=None) -> Evaluation:
    """Run an evaluation to completion (or failure, with the error recorded). `backend` (an engine
    backend already loaded) or `get_backend(model=, kind=, device=, base_url=)` (the worker's model cache, by
    default) supplies the model."""
    ev = Evaluation.objects.select_related("dataset").get(pk=evaluation_id)
    # A re-delivered task (its worker died) runs it again; a finished or canceled one is left alone.
    if not jobs.claim(Evaluation, ev.pk, states=Evaluation.ACTIVE_STATES, error=""):
        return ev
    started = time.monotonic()
    try:
        config = dict(ev.config or {})
        dataset = ev.dataset
        p = plan(dataset, config)
        if not p["test_ids"]:
            raise EvaluationRefused(f"the {config['test_split']!r} split has no examples with gold labels")
        if backend is None:
            backend, _ = get_backend(model=config["model"], kind=config["backend"], device=config["device"],
                                     base_url=config.get("base_url") or None)
        label_words = (dataset.true_word, dataset.false_word)
        icm_config = engine_port.parse_config({"seed": config["seed"], "calibrate": config.get("calibrate", "none"),
                                               "label_words": list(label_words)})
        needed = list(dict.fromkeys([*p["test_ids"], *(i for c in p["conditions"] for i, _ in c["demos"])]))
        texts = dict(Example.objects.filter(pk__in=needed).values_list("pk", "prompt"))
        prompts = ManyShotPrompts({i: texts[i] for i in needed}, label_words)
        keep = fit_to_context(p["conditions"], p["test_ids"], prompts, backend.count_tokens, backend.context_length)
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
            "context_tokens": backend.context_length,
            "train_size": p["train_size"],
        })
        results = {
            "test_split": config["test_split"],
            "train_split": config["train_split"],
            "example_ids": p["test_ids"],
            "sources": results_sources,
            "seconds": round(time.monotonic() - started, 2),
            "tokens": tokens,
            "model": backend.name,
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

