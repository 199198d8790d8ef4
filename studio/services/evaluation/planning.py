"""What an evaluation scores (database only): its test items, its label sources, and per repeat one seeded
draw of demonstration example ids that every many-shot condition uses — only the labels differ (the paired
design). The ids come from the train examples every label source has labeled (or the `demo_pool_ids` given);
what each source lacks is reported."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from studio.models import Dataset, Example, GoldLabel

from . import reference
from .eligibility import choose_runs
from .errors import EvaluationRefused
from .sources import LabelSource, label_sources

ZERO_SHOT = {"zero-shot": "Zero-shot", "zero-shot-chat": "Zero-shot chat"}


@dataclass
class Condition:
    key: str
    kind: str
    name: str
    labels: dict[int, bool] | None = None  # None: zero-shot (no demonstrations) or random (drawn per repeat)
    run_id: int | None = None
    model: str = ""                         # the model that scores this condition
    marks: list[str] = field(default_factory=list)

    @property
    def many_shot(self) -> bool:
        return self.kind not in ("zero-shot", "zero-shot-chat", "model")


@dataclass
class Repeat:
    index: int
    seed: int
    order: list[int]                 # the demonstration ids, in prompt order (before fitting the context)
    random_labels: dict[int, bool]   # the random-labels condition's labels for these ids
    train_ids: list[int] = field(default_factory=list)  # the trained measure's train items (every source alike)
    train_random: dict[int, bool] = field(default_factory=dict)  # random labels of those, for the trained measure


@dataclass
class Plan:
    test_ids: list[int]
    conditions: list[Condition]
    sources: list[LabelSource]
    repeats: list[Repeat]
    pool_size: int
    candidates: int
    missing: list[dict]
    excluded_runs: list[dict]
    train_size: int
    pool: list[int] = field(default_factory=list)  # the train items every source labeled (demo_pool_ids or all)
    # the trained measure's pool: as `pool`, but an ICM run with filled labels covers what it elicited or filled,
    # so its "elicited + filled" condition trains on the same items as gold, people and random (see trained_pool)
    trained_pool: list[int] = field(default_factory=list)


def test_items(dataset: Dataset, config: dict) -> list[int]:
    """The given test ids, else a seeded sample of at most max_test test examples with gold (or, scored by an
    adjudication's expert answers, its answered items), in dataset order."""
    if config.get("test_ids"):
        return list(config["test_ids"])
    if config.get("reference") == reference.EXPERT:
        ids = reference.answered_ids(config["adjudication"])
    else:
        ids = list(GoldLabel.objects.filter(example__dataset=dataset, example__split=config["test_split"])
                   .order_by("example__position").values_list("example_id", flat=True))
    if len(ids) > config["max_test"]:
        keep = set(random.Random(config["seed"]).sample(ids, config["max_test"]))
        ids = [i for i in ids if i in keep]
    return ids


def _conditions(config: dict, sources: list[LabelSource]) -> list[Condition]:
    kinds = set(config["conditions"])
    out = [Condition(k, k, name, model=config["model"]) for k, name in ZERO_SHOT.items() if k in kinds]
    out += [Condition(f"model:{m}", "model", f"Zero-shot, {m}", model=m) for m in config.get("model_conditions", [])]
    if "random" in kinds:
        out.append(Condition("random", "random", "Random labels", model=config["model"]))
    out += [Condition(s.key, s.kind, s.name, labels=s.labels, run_id=s.run_id, model=config["model"], marks=s.marks)
            for s in sources]
    return out


def plan(dataset: Dataset, config: dict) -> Plan:
    runs, excluded = choose_runs(dataset, config)
    sources = label_sources(dataset, config, runs)
    train_ids = list(Example.objects.filter(dataset=dataset, split=config["train_split"])
                     .order_by("position").values_list("pk", flat=True))
    candidates = list(config["demo_pool_ids"]) if config.get("demo_pool_ids") else train_ids
    pool = [i for i in candidates if all(i in s.labels for s in sources)]
    missing = [{"key": s.key, "name": s.name, "count": sum(1 for i in candidates if i not in s.labels)}
               for s in sources]
    missing = [m for m in missing if m["count"]]
    conditions = _conditions(config, sources)
    wide = trained_pool(candidates, sources)
    if sources and not (pool if "in-context" in config.get("measures", ["in-context"]) else wide):
        have = "; ".join(f"{s.name} {sum(1 for i in candidates if i in s.labels)}" for s in sources)
        raise EvaluationRefused(f"no train example is labeled by every label source, so no demonstrations can be "
                                f"shared (labeled among {len(candidates)}: {have}). Leave a source out (conditions) "
                                "or label more.", "conditions")
    repeats = []
    cap = config.get("max_demos")
    for r in range(config["repeats"]):
        seed = config["seed"] + r
        order = pool[:]
        random.Random(seed).shuffle(order)
        if cap is not None:
            order = order[:cap]
        coins = [True] * (len(order) // 2) + [False] * (len(order) - len(order) // 2)
        random.Random(seed + 1_000_003).shuffle(coins)  # random labels: half true, a draw of its own per repeat
        repeats.append(Repeat(r, seed, order, dict(zip(order, coins)),
                              *trained_draw(wide, seed, len_repeats=config["repeats"], cap=config.get("max_train"))))
    test_ids = test_items(dataset, config)
    if not test_ids:
        what = "answered items" if config.get("reference") == reference.EXPERT else "examples with gold labels"
        raise EvaluationRefused(f"the {config['test_split']!r} split has no {what}", "test_split")
    return Plan(test_ids, conditions, sources, repeats, len(pool), len(candidates), missing, excluded, len(train_ids),
                pool, wide)


def trained_pool(candidates: list[int], sources: list[LabelSource]) -> list[int]:
    """The train items every source labels, counting an ICM run's filled labels as covering an item. Without
    filled labels this is the demonstrations' pool. With them, every trained condition but a run's elicited-only
    one trains on exactly the repeat's draw: that one trains on the part of the draw its search labeled (the
    labels it has; its row says how many). Drawing from the elicited items alone would leave the "elicited +
    filled" condition identical to the elicited one (on those items the two label sets agree)."""
    return [i for i in candidates if all(i in s.labels or i in s.filled for s in sources)]


TRAIN_SHARE = 0.8  # with several repeats, each trains on a seeded 80% of the pool, so repeats differ


def trained_draw(pool: list[int], seed: int, *, len_repeats: int, cap: int | None) -> tuple[list[int], dict]:
    """One repeat's train items for the trained measure — the same ids for every trained condition — and the
    random-labels condition's labels of them (half true). One repeat trains on the whole pool; several repeats
    each on a seeded share of it (TRAIN_SHARE), so the sd over repeats means something. `cap` (max_train) bounds
    the count. Kept in pool order."""
    n = len(pool) if len_repeats == 1 else max(min(2, len(pool)), round(TRAIN_SHARE * len(pool)))
    if cap is not None:
        n = min(n, cap)
    keep = set(random.Random(seed + 2_000_003).sample(pool, n)) if n < len(pool) else set(pool)
    ids = [i for i in pool if i in keep]
    coins = [True] * (len(ids) // 2) + [False] * (len(ids) - len(ids) // 2)
    random.Random(seed + 3_000_017).shuffle(coins)
    return ids, dict(zip(ids, coins))
