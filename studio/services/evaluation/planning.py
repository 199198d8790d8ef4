"""Which test examples and which demonstrations (with which labels) each condition uses (database only)."""
from __future__ import annotations

import random

from django.db.models import Q

from studio.models import Dataset, ElicitationRun, ElicitedLabel, Example, GoldLabel
from studio.services.review import people_majority


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
        # the review's people's majority: studio annotators' votes, ties left unlabeled
        people = {pk: label for pk, label in people_majority(dataset, train).values_list("pk", "majority")
                  if label is not None}
        if people:
            conditions.append({"key": "people", "kind": "people", "name": "People's majority", "demos": first_k(people)})
        runs = (ElicitationRun.objects.filter(dataset=dataset, state=ElicitationRun.State.COMPLETED)
                .filter(Q(split="") | Q(split=train)).order_by("pk"))
        for run in runs:
            # the search's own labels: filled ones are predictions after it, not elicited
            labels = dict(ElicitedLabel.objects.filter(run=run, example__split=train, kind=ElicitedLabel.Kind.ELICITED)
                          .values_list("example_id", "label"))
            if labels:
                conditions.append({"key": f"run:{run.pk}", "kind": "icm", "name": f"ICM run {run.pk}",
                                   "run_id": run.pk, "demos": first_k(labels)})
    return {"test_ids": test_ids, "conditions": conditions, "train_size": len(train_ids)}
