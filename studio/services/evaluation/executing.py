"""Running an evaluation in the worker: every condition scored on the same test items, many-shot conditions on
the same demonstration ids per repeat (as many as fit the model's context, the same number for all), the
numbers summarized and recorded."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from studio.models import Evaluation, Example
from studio.services import engine_port, jobs
from studio.services.engine_port.work_problem import consistency_counts

from . import reference
from .errors import EvaluationRefused
from .planning import Condition, Plan, plan
from .prompts import ManyShotPrompts, fit_to_context
from .summary import summarize
from .trained import run_trained
from .trained_results import trained_rows, trained_summary

log = logging.getLogger(__name__)


class _Scorer:
    """Scores test items under one condition with the engine's baseline scorer (the one ICM itself uses)."""

    def __init__(self, backend, icm_config, test_ids: list[int], texts: dict[int, str]):
        self.backend, self.icm_config, self.test_ids, self.texts = backend, icm_config, test_ids, texts
        self.tokens = 0

    def __call__(self, demos: list[tuple[int, bool]], queries: dict[int, str] | None = None, *,
                 backend=None, icm_config=None) -> list[float]:
        from studio.services.engine_port.work import score_test

        queries = queries or self.texts
        scores, used = score_test([(f"d{i}", self.texts[i], label) for i, label in demos],
                                  [(f"t{i}", queries[i]) for i in self.test_ids],
                                  backend or self.backend, icm_config or self.icm_config)
        self.tokens += used
        return [scores[f"t{i}"] for i in self.test_ids]


def _progress(ev_id: int, done: int, total: int, what: str) -> None:
    Evaluation.objects.filter(pk=ev_id).update(results={"progress": {"done": done, "total": total, "now": what}})


def _demos(c: Condition, repeat, ids: list[int]) -> list[tuple[int, bool]]:
    labels = repeat.random_labels if c.kind == "random" else c.labels
    return [(i, labels[i]) for i in ids]


def _consistency(dataset, p: Plan) -> dict[str, dict]:
    """Each label source's broken consistency pairs over all the train examples it labeled."""
    if dataset.consistency == "none":
        return {}
    out = {}
    for s in p.sources:
        rows = list(Example.objects.filter(pk__in=list(s.labels)).order_by("position")
                    .values_list("pk", "prompt", "group", "key"))
        out[s.key] = consistency_counts(rows, s.labels, dataset.consistency)
    return out


def execute_evaluation(evaluation_id: int, *, get_backend: Callable = engine_port.get_backend,
                       backend=None) -> Evaluation:
    """Run an evaluation to completion (or failure, with the error recorded). `backend` (an engine backend already
    loaded, used for the evaluation's model) or `get_backend(model=, kind=, device=, base_url=)` supplies models."""
    ev = Evaluation.objects.select_related("dataset").get(pk=evaluation_id)
    # A re-delivered task (its worker died) runs it again; a finished or canceled one is left alone.
    if not jobs.claim(Evaluation, ev.pk, states=Evaluation.ACTIVE_STATES, error=""):
        return ev
    started = time.monotonic()
    try:
        config = dict(ev.config or {})
        dataset = ev.dataset
        p = plan(dataset, config)
        if backend is None:
            backend, _ = get_backend(model=config["model"], kind="hf", device=config["device"], base_url=None)
        words = (dataset.true_word, dataset.false_word)
        icm_config = engine_port.parse_config({"seed": config["seed"], "calibrate": config["calibrate"],
                                               "label_words": list(words)})
        needed = list(dict.fromkeys([*p.test_ids, *(i for r in p.repeats for i in r.order)]))
        texts = dict(Example.objects.filter(pk__in=needed).values_list("pk", "prompt"))
        score = _Scorer(backend, icm_config, p.test_ids, texts)
        predictions: dict[str, list[list[bool]]] = {}
        skipped, ran = [], []
        measures = config.get("measures") or ["in-context"]
        zero = [c for c in p.conditions if not c.many_shot]  # the untrained reference, under either measure
        many = [c for c in p.conditions if c.many_shot] if "in-context" in measures else []
        n_trained = len(p.sources) + 1 + sum(1 for s in p.sources if s.filled)  # random, each source, each fill
        trained_passes = n_trained * len(p.repeats) + 1 if "trained" in measures else 0
        total, done = len(zero) + len(many) * len(p.repeats) + trained_passes, 0
        for c in zero:
            _progress(ev.pk, done, total, c.name)
            scores = _zero_shot(c, dataset, score, texts, p.test_ids, get_backend, config, words, skipped)
            done += 1
            if scores is not None:
                predictions[c.key] = [[s > 0 for s in scores]] * len(p.repeats)
                ran.append(c)
        repeats_out = []
        prompts = ManyShotPrompts({i: texts[i] for i in needed}, words)
        for r in p.repeats:
            keep = fit_to_context([{"demos": _demos(c, r, r.order)} for c in many], p.test_ids, prompts,
                                  backend.count_tokens, backend.context_length) if many else 0
            ids = r.order[:keep]
            repeats_out.append({"index": r.index, "seed": r.seed, "demo_ids": ids, "n_demos": len(ids),
                                "trimmed_for_context": keep < len(r.order)})
            for c in many:
                _progress(ev.pk, done, total, f"{c.name}, repeat {r.index + 1}")
                scores = score(_demos(c, r, ids))
                predictions.setdefault(c.key, []).append([s > 0 for s in scores])
                done += 1
        ran += many
        trained = None
        if "trained" in measures:
            trained = run_trained(dataset, p, config, backend, evaluation_id=ev.pk,
                                  progress=lambda now: _progress(ev.pk, done, total, now))
            predictions.update(trained.predictions)
        right = reference.labels(config, p.test_ids)  # gold, or the expert's answers where there is no gold
        answers = [right[i] for i in p.test_ids]
        correct = {key: [[y == a for y, a in zip(rep, answers)] for rep in reps] for key, reps in predictions.items()}
        consistency = _consistency(dataset, p)
        conditions = [{
            "key": c.key, "kind": c.kind, "name": c.name, "run_id": c.run_id, "model": c.model,
            "other_model": c.model != config["model"] or any(m.startswith("model ") for m in c.marks),
            "marks": c.marks, "n_demos": 0 if not c.many_shot else min((r["n_demos"] for r in repeats_out), default=0),
            "consistency": consistency.get(c.key),
            "predictions": predictions[c.key], "measure": "in-context",
        } for c in ran]
        if trained is not None:
            conditions += trained_rows(trained, consistency, config)
        summary = summarize(conditions, correct, seed=config["seed"],
                            scored_on=reference.items_phrase(config))
        config.update({"context_tokens": backend.context_length, "train_size": p.train_size})
        results = {
            "test_split": config["test_split"], "train_split": config["train_split"],
            "test_ids": p.test_ids, "n_test": len(p.test_ids),
            "reference": reference.describe(config, len(p.test_ids)),
            "repeats": repeats_out,
            "conditions": conditions,
            **summary,
            "skipped": skipped,
            "excluded_runs": p.excluded_runs,
            "missing": p.missing, "demo_pool": {"size": p.pool_size, "candidates": p.candidates},
            "seconds": round(time.monotonic() - started, 2), "tokens": score.tokens, "model": backend.name,
            "measures": measures,
        }
        if trained is not None:
            results.update(trained_summary(trained, p, config))
        jobs.finish(Evaluation, ev.pk, Evaluation.State.COMPLETED, config=config, results=results)
    except Exception as exc:
        log.exception("evaluation %s failed", ev.pk)
        message = str(exc) if isinstance(exc, EvaluationRefused) else f"{type(exc).__name__}: {exc}"
        jobs.fail(Evaluation, ev.pk, message)
    ev.refresh_from_db()
    return ev


def _zero_shot(c: Condition, dataset, score: _Scorer, texts, test_ids, get_backend, config, words, skipped):
    """Scores of a zero-shot condition, or None (recorded in `skipped`) when it cannot run."""
    preamble = (getattr(dataset, "zero_shot_preamble", "") or "").strip()
    queries = {i: (f"{preamble}\n\n{texts[i]}" if preamble else texts[i]) for i in test_ids}
    if c.kind == "zero-shot":
        return score([], queries)
    if c.kind == "zero-shot-chat":
        chat = {i: score.backend.chat_prompt(q) for i, q in queries.items()}
        if any(v is None for v in chat.values()):
            skipped.append({"key": c.key, "name": c.name, "reason": f"{score.backend.name} has no chat template"})
            return None
        # the reply starts a turn: label words without their leading space ("True", not " True")
        chat_config = engine_port.parse_config({"seed": config["seed"], "calibrate": config["calibrate"],
                                                "label_words": [w.strip() or w for w in words]})
        return score([], chat, icm_config=chat_config)
    other, _ = get_backend(model=c.model, kind="hf", device=config["device"], base_url=None)
    return score([], queries, backend=other)


def mark_failed(evaluation_id: int, exc: BaseException) -> bool:
    """Fail an unfinished evaluation (never overwrite a finished one)."""
    return jobs.fail(Evaluation, evaluation_id, exc)
