"""The paper's comparison points, scored by the same exact scorer as ICM:

- zero_shot:     each example alone, no demonstrations;
- random_labels: many-shot, every other example as a demonstration with random labels (half true, seeded);
- gold_labels:   many-shot with gold labels as demonstrations (the one place gold is read, as a baseline);
- many_shot:     the same with any labels (e.g. human labels).

Without `test`, many-shot scores each example leave-one-out among the demonstrations; with `test`, every
test example is scored with all demonstration examples before it. A label is the sign of the (calibrated)
score: calibrate="center" subtracts the mean score over the scored examples.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

from .config import ICMConfig
from .errors import ContextLengthError, InputError
from .problem import Example, Problem
from .result import balance, label_counts
from .scoring import make_scorer

METHODS = ("zero-shot", "random-labels", "gold-labels")


@dataclass
class BaselineResult:
    labels: dict   # id → bool (sign of the score)
    scores: dict   # id → log-odds (calibrated as asked)
    summary: dict


def zero_shot(problem: Problem, backend, config: ICMConfig | None = None, *, test: Problem | None = None):
    return _run("zero-shot", problem, backend, config or ICMConfig(), demo_labels=None, test=test)


def random_labels(problem: Problem, backend, config: ICMConfig | None = None, *, test: Problem | None = None):
    config = config or ICMConfig()
    n = len(problem)
    rng = random.Random(config.seed)
    labels = [True] * (n // 2) + [False] * (n - n // 2)
    rng.shuffle(labels)
    return _run("random-labels", problem, backend, config, demo_labels=labels, test=test)


def gold_labels(problem: Problem, gold: Mapping, backend, config: ICMConfig | None = None, *,
                test: Problem | None = None):
    return many_shot(problem, gold, backend, config, test=test, method="gold-labels")


def many_shot(problem: Problem, labels: Mapping, backend, config: ICMConfig | None = None, *,
              test: Problem | None = None, method: str = "many-shot"):
    """Many-shot with the given labels (id → bool) as demonstrations: gold, human, or any other source."""
    demo_labels = []
    for ex in problem.examples:
        key = ex.id if ex.id in labels else str(ex.id)
        if key not in labels or not isinstance(labels[key], bool):
            raise InputError(f"{method}: example {ex.id!r} has no true/false label")
        demo_labels.append(labels[key])
    return _run(method, problem, backend, config or ICMConfig(), demo_labels=demo_labels, test=test)


def _run(method: str, problem: Problem, backend, config: ICMConfig, *, demo_labels: Sequence[bool] | None,
         test: Problem | None) -> BaselineResult:
    started = time.monotonic()
    scored = test if test is not None else problem
    if demo_labels is None:  # zero-shot: only the scored examples, nothing labeled
        combined = Problem([Example(i, e.prompt) for i, e in enumerate(scored.examples)])
        labels = [None] * len(scored)
        targets = list(range(len(scored)))
    elif test is None:
        combined = Problem([Example(i, e.prompt, e.group, e.key) for i, e in enumerate(problem.examples)])
        labels = list(demo_labels)
        targets = list(range(len(problem)))
    else:
        n = len(problem)
        combined = Problem([Example(i, e.prompt, e.group, e.key) for i, e in enumerate(problem.examples)]
                           + [Example(n + i, e.prompt, _tag(e.group), None) for i, e in enumerate(test.examples)])
        labels = list(demo_labels) + [None] * len(test)
        targets = [n + i for i in range(len(test))]
    scorer = make_scorer(combined, backend, config)
    _check_context(scorer, labels, targets, [e.id for e in scored.examples])
    results = scorer.predict_many(targets, labels)
    raw = [results[t].log_odds for t in targets]
    offset = sum(raw) / len(raw) if (config.calibrate == "center" and raw) else 0.0
    ids = [e.id for e in scored.examples]
    scores = {i: s - offset for i, s in zip(ids, raw)}
    out_labels = {i: s > 0 for i, s in scores.items()}
    counts = label_counts(out_labels)
    summary = {
        "method": method, "examples": len(ids), "demonstrations": 0 if demo_labels is None else len(problem),
        "tokens": scorer.tokens, "seconds": round(time.monotonic() - started, 3), "label_counts": counts,
        **balance(counts), "zero_scores": sum(1 for t in targets if not results[t].found),
        "calibrate": config.calibrate, "calibration_offset": offset,
        "model": getattr(backend, "name", type(backend).__name__),
    }
    return BaselineResult(out_labels, scores, summary)


def _tag(group):
    return None if group is None else f"test:{group}"


def _check_context(scorer, labels, targets, ids) -> None:
    """Many-shot prompts hold every demonstration; refuse them before scoring if the longest does not fit."""
    limit = getattr(scorer.backend, "context_length", None)
    count = getattr(scorer.backend, "count_tokens", None)
    if not limit or count is None:
        return
    longest, which = 0, None
    for t, example_id in zip(targets, ids):
        n = count(scorer.builder.prompt(scorer.demos(labels, exclude=t), t))
        if n is None:
            return
        if n > longest:
            longest, which = n, example_id
    if longest > limit:
        raise ContextLengthError(f"the longest baseline prompt has {longest} tokens (example {which!r}), but the "
                                 f"model's context window is {limit} tokens; use fewer or shorter examples")
