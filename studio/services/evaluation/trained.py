"""The trained measure: judge each label source by the model it trains (issue 22). For every source the
evaluation knows — random labels, the people's majority, the crowd's majority, each included ICM run, gold — a
trainer learns that source's labels of the repeat's train items and predicts the test items.

Paired like the demonstrations: within a repeat every trained condition trains on the same train item ids
(planning.trained_draw), so the conditions differ only in the labels. The probe trainer reads the model's
features of each prompt, computed once per (model fingerprint, prompt) into the studio's feature store, so every
condition, repeat and later evaluation reuses them. On a comparison dataset (both orders of a pair) the trained
scorer is made antisymmetric over the two orders: a reward model, scored by its pairwise accuracy on the test
pairs. Each condition's probe weights (or adapter) are kept in the results (`trained_models`) for export.

Gold: a condition's trainer gets that condition's labels and nothing else; the probe's strength is chosen by
cross-validation on those same labels. The test items' gold is read only afterwards, to score (summary)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings

from studio.models import Dataset, Example

from .planning import Plan

RANDOM = "random"
FILLED_MARK = "elicited + filled"  # the run's labels from the search and the model's fill after it
ELICITED_ONLY = "elicited only: trains on the shared items its search labeled"


@dataclass
class TrainedCondition:
    key: str
    kind: str
    name: str
    labels: dict[int, bool] | None  # None: random labels, drawn per repeat (Repeat.train_random)
    source_key: str
    run_id: int | None = None
    model: str = ""
    marks: list[str] = field(default_factory=list)


def _what(trainer: str, pairs: bool) -> str:
    if pairs:
        return "Reward model (probe)" if trainer == "probe" else "Reward model (LoRA)"
    return "Probe" if trainer == "probe" else "LoRA finetune"


def trained_conditions(p: Plan, config: dict, *, pairs: bool) -> list[TrainedCondition]:
    """One trained condition per label source (random first, when asked for), in the paper's order."""
    what = _what(config.get("trainer", "probe"), pairs)
    out = []
    if "random" in config["conditions"]:
        out.append(TrainedCondition(f"trained:{RANDOM}", RANDOM, f"{what} trained on random labels", None, RANDOM,
                                    model=config["model"]))
    for s in p.sources:
        source = s.name[0].lower() + s.name[1:] if s.kind != "icm" else f"{s.name}'s labels"
        marks = s.marks + ([ELICITED_ONLY] if s.filled else [])
        out.append(TrainedCondition(f"trained:{s.key}", s.kind, f"{what} trained on {source}", s.labels, s.key,
                                    run_id=s.run_id, model=config["model"], marks=marks))
        if s.filled:  # its own, marked condition: what an export of every label the run gave trains
            out.append(TrainedCondition(f"trained:{s.key}:filled", s.kind,
                                        f"{what} trained on {s.name}'s elicited + filled labels",
                                        {**s.filled, **s.labels}, f"{s.key}:filled", run_id=s.run_id,
                                        model=config["model"], marks=[*s.marks, FILLED_MARK]))
    return out


def train_ids(c: TrainedCondition, repeat) -> list[int]:
    """The items condition c trains on in a repeat: the repeat's draw — for a run's elicited-only condition
    beside its "elicited + filled" one, the part of the draw its search labeled (planning.trained_pool)."""
    if c.labels is None or ELICITED_ONLY not in c.marks:
        return repeat.train_ids
    return [i for i in repeat.train_ids if i in c.labels]


def _pair_partners(test_ids: list[int]) -> dict[int, int]:
    """Test item -> the other order of its pair, where both orders are among the test items."""
    groups: dict[str, list[int]] = {}
    for pk, group in Example.objects.filter(pk__in=test_ids).order_by("position", "pk").values_list("pk", "group"):
        if group:
            groups.setdefault(group, []).append(pk)
    partners = {}
    for members in groups.values():
        if len(members) == 2:
            a, b = members
            partners[a], partners[b] = b, a
    return partners


def reward_scores(scores: np.ndarray, test_ids: list[int], partners: dict[int, int]) -> np.ndarray:
    """The antisymmetric score of each test item: s(A,B) = (f(AB) − f(BA)) / 2 where both orders are tested,
    so the two orders always get opposite labels; an item without its partner keeps its own score."""
    from studio.services.engine_port.training import antisymmetric

    index = {pk: k for k, pk in enumerate(test_ids)}
    out = np.asarray(scores, dtype=float).copy()
    firsts = [pk for pk in test_ids if pk in partners and index[pk] < index[partners[pk]]]
    if firsts:
        a = np.array([scores[index[pk]] for pk in firsts], dtype=float)
        b = np.array([scores[index[partners[pk]]] for pk in firsts], dtype=float)
        s = np.asarray(antisymmetric(a, b), dtype=float)
        for pk, value in zip(firsts, s):
            out[index[pk]], out[index[partners[pk]]] = value, -value
    return out


@dataclass
class TrainedOutcome:
    conditions: list[TrainedCondition]
    predictions: dict[str, list[list[bool]]]
    fits: dict[str, list[dict]]           # per condition, per repeat: what the trainer chose (C, CV accuracy, ...)
    artifacts: dict[str, list[dict]]      # per condition, per repeat: the probe (or adapter) to export
    features: dict                         # computed / reused counts, seconds, the feature rule, the fingerprint
    n_pairs: int
    seconds: float


def _labels(c: TrainedCondition, repeat, ids: list[int]) -> list[bool]:
    labels = repeat.train_random if c.labels is None else c.labels
    return [bool(labels[i]) for i in ids]


def run_trained(dataset: Dataset, p: Plan, config: dict, backend, *, evaluation_id: int,
                progress: Callable[[str], None], fit: Callable | None = None) -> TrainedOutcome:
    """Train every trained condition in every repeat and predict the test items. `progress(now)` reports what
    runs (with an estimate of what is left); `fit` (tests) replaces the probe's fit to watch its inputs."""
    started = time.monotonic()
    pairs = dataset.consistency == Dataset.Consistency.COMPARISON
    conditions = trained_conditions(p, config, pairs=pairs)
    words = (dataset.true_word, dataset.false_word)
    train_items = list(dict.fromkeys(i for r in p.repeats for i in r.train_ids))
    texts = dict(Example.objects.filter(pk__in=[*train_items, *p.test_ids]).values_list("pk", "prompt"))
    partners = _pair_partners(p.test_ids) if pairs else {}
    if config.get("trainer", "probe") == "finetune":
        out = _finetune(conditions, p, config, backend, texts, words, evaluation_id, progress)
    else:
        out = _probe(conditions, p, backend, texts, words, progress, fit)
    predictions, fits, artifacts, features = out
    if pairs:
        predictions = {key: [[bool(x > 0) for x in reward_scores(np.asarray(s), p.test_ids, partners)] for s in reps]
                       for key, reps in predictions.items()}
    else:
        predictions = {key: [[bool(x > 0) for x in s] for s in reps] for key, reps in predictions.items()}
    return TrainedOutcome(conditions, predictions, fits, artifacts, features, len(partners) // 2,
                          round(time.monotonic() - started, 2))


def _eta(done: int, total: int, since: float) -> str:
    if not done or done >= total:
        return ""
    left = (time.monotonic() - since) / done * (total - done)
    return f", about {max(1, round(left))} s left"


def _probe(conditions, p: Plan, backend, texts, words, progress, fit):
    from studio.services.engine_port.training import FEATURE_RULE, feature_store, compute_features, fit_probe

    fit = fit or fit_probe
    ids = list(texts)
    store = feature_store()
    hits, misses = store.hits, store.misses
    t0 = time.monotonic()

    def on_batch(done: int, total: int) -> None:
        progress(f"features of {done} of {total} prompts{_eta(done, total, t0)}")

    X = np.asarray(compute_features(backend, [texts[i] for i in ids], store, label_words=words, progress=on_batch))
    feature_seconds = round(time.monotonic() - t0, 2)
    row = {pk: k for k, pk in enumerate(ids)}
    X_test = X[[row[i] for i in p.test_ids]]
    fingerprint = getattr(backend, "fingerprint", None)
    predictions, fits, artifacts = {}, {}, {}
    total, done, t1 = len(conditions) * len(p.repeats), 0, time.monotonic()
    for r in p.repeats:
        for c in conditions:
            progress(f"{c.name}, repeat {r.index + 1}{_eta(done, total, t1)}")
            ids = train_ids(c, r)
            probe = fit(X[[row[i] for i in ids]], np.asarray(_labels(c, r, ids), dtype=bool), seed=r.seed,
                        model_fingerprint=fingerprint)
            predictions.setdefault(c.key, []).append(np.asarray(probe.decision(X_test), dtype=float))
            fits.setdefault(c.key, []).append({
                "repeat": r.index, "n_train": len(ids), "C": probe.C,
                "cv_accuracy": {str(k): v for k, v in (probe.cv_accuracy or {}).items()},
                "degenerate": bool(probe.degenerate), "label_counts": _jsonable(probe.label_counts)})
            artifacts.setdefault(c.key, []).append(_jsonable(probe.to_dict()))
            done += 1
    features = {"rule": FEATURE_RULE, "model_fingerprint": fingerprint, "prompts": len(ids),
                "computed": store.misses - misses, "reused": store.hits - hits, "seconds": feature_seconds}
    return predictions, fits, artifacts, features


def _finetune(conditions, p: Plan, config, backend, texts, words, evaluation_id, progress):
    from studio.services.engine_port.training import train_and_predict

    options = {"steps": config["finetune_steps"]} if config.get("finetune_steps") else {}
    root = Path(settings.STUDIO_MODELS_DIR) / "evaluations" / f"evaluation-{evaluation_id}"
    predictions, fits, artifacts = {}, {}, {}
    test_prompts = [texts[i] for i in p.test_ids]
    total, done, t0 = len(conditions) * len(p.repeats), 0, time.monotonic()
    for r in p.repeats:
        for c in conditions:
            progress(f"{c.name}, repeat {r.index + 1}{_eta(done, total, t0)}")
            out_dir = root / f"{c.key.replace(':', '-')}-repeat-{r.index + 1}"
            ids = train_ids(c, r)
            result = train_and_predict("finetune", backend, [texts[i] for i in ids], _labels(c, r, ids), test_prompts,
                                       seed=r.seed, options=options, out_dir=out_dir, label_words=words)
            predictions.setdefault(c.key, []).append(np.asarray(result.scores, dtype=float))
            fits.setdefault(c.key, []).append({"repeat": r.index, "n_train": len(ids),
                                               **_jsonable(result.summary)})
            artifacts.setdefault(c.key, []).append(_jsonable(result.artifact))
            done += 1
    features = {"rule": "", "model_fingerprint": getattr(backend, "fingerprint", None), "prompts": len(texts),
                "computed": 0, "reused": 0, "seconds": 0.0, "adapters": str(root)}
    return predictions, fits, artifacts, features


def _jsonable(value):
    """numpy scalars and arrays, tuples and paths as JSON's types (results are stored as JSON)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
