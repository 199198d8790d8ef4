"""Test data for review: an alpaca-shaped dataset built from the real file (pairs in both orders, the
real crowd votes as imported crowd labels, gold = the majority `label`), ICM runs and annotators.
Used until/unless the `alpaca` preset importer is available; `alpaca_dataset()` prefers the real preset."""
from __future__ import annotations

import json
import random

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from studio.models import Dataset, ElicitationRun, ElicitedLabel, Example, GoldLabel, HumanLabel, RunEvent
from studio.services import tallies
from tests.conftest import SHARED_DATA

ALPACA = SHARED_DATA / "icm-wen2025" / "test_alpaca.json"


def _bool(v) -> bool:
    return v if isinstance(v, bool) else bool(int(v))


def alpaca_like(pairs: int | None = None, name: str = "alpaca-like") -> Dataset:
    """The real alpaca pairs (optionally the first `pairs`), split 50/50 by pair (seeded) into train/test,
    crowd votes on both orders (negated on the swapped row), gold = the file's `label`."""
    rows = json.load(open(ALPACA))
    ds = Dataset.objects.create(
        name=name, slug=name, task_type=Dataset.TaskType.COMPARISON, consistency=Dataset.Consistency.COMPARISON,
        prompt_template="Question: {question}\nAnswer 1: {choice}\nAnswer 2: {choice_2}\n"
        "Claim: Answer 1 is more helpful than Answer 2.\nI think this claim is",
        display_fields=["question", "choice", "choice_2"],
    )
    n_pairs = len(rows) // 2 if pairs is None else pairs
    rng = random.Random(2506)
    ids = list(range(n_pairs))
    rng.shuffle(ids)
    test_pairs = set(ids[: n_pairs // 2])
    examples, golds, votes = [], [], []
    for p in range(n_pairs):
        first, second = rows[2 * p], rows[2 * p + 1]
        split = "test" if p in test_pairs else "train"
        for j, rec in enumerate((first, second)):
            fields = {k: rec[k] for k in ("question", "choice", "choice_2")}
            examples.append(Example(
                dataset=ds, external_id=f"p{p}-{'ab' if j == 0 else 'ba'}", split=split, position=2 * p + j,
                fields=fields, prompt=ds.prompt_template.format(**fields), group=f"p{p}", key="A>B" if j == 0 else "B>A"))
    Example.objects.bulk_create(examples)
    by_pos = {e.position: e for e in Example.objects.filter(dataset=ds)}
    for p in range(n_pairs):
        first, second = rows[2 * p], rows[2 * p + 1]
        for j, rec in enumerate((first, second)):
            ex = by_pos[2 * p + j]
            golds.append(GoldLabel(example=ex, label=_bool(rec["label"])))
            for pos, v in enumerate(first["candidate_label"], 1):
                vote = _bool(v) if j == 0 else not _bool(v)
                votes.append(HumanLabel(example=ex, source=HumanLabel.Source.CROWD, crowd_voter=pos, label=vote))
    GoldLabel.objects.bulk_create(golds)
    HumanLabel.objects.bulk_create(votes)
    tallies.rebuild(ds)  # written past the services, like an import: recount the aggregates
    return ds


def alpaca_dataset() -> Dataset:
    """The real `alpaca` preset when the importer provides it, else the same shape built here."""
    from studio.services.importing import presets

    if "alpaca" in getattr(presets, "PRESETS", {}):
        call_command("import_dataset", "alpaca")
        return Dataset.objects.get(preset="alpaca")
    return alpaca_like()


def completed_run(dataset: Dataset, split: str = "", *, accuracy: float = 0.8, seed: int = 0,
                  unlabeled: float = 0.0, events: int = 0, filled: float = 0.0,
                  filled_accuracy: float | None = None, batch_size: int | None = None) -> ElicitationRun:
    """A completed ICM run with one ElicitedLabel per example: gold flipped with probability 1 − accuracy,
    a score whose sign is the label, and optionally some examples left unlabeled (kind "unlabeled") and some
    labels filled after the search (kind "filled", right with probability `filled_accuracy`, default
    `accuracy`); the rest are "elicited". Batches of `batch_size` examples in order (default: one batch). The
    summary's label_counts are what settling writes."""
    rng = random.Random(seed)
    run = ElicitationRun.objects.create(dataset=dataset, split=split, state=ElicitationRun.State.COMPLETED,
                                        fingerprint=f"test-{dataset.pk}-{seed}-{split}", finished_at=timezone.now(),
                                        config={"seed": seed, "calibrate": "center"})
    qs = Example.objects.filter(dataset=dataset)
    if split:
        qs = qs.filter(split=split)
    gold = dict(GoldLabel.objects.filter(example__in=qs).values_list("example_id", "label"))
    labels = []
    for i, ex_id in enumerate(qs.order_by("pk").values_list("pk", flat=True)):
        batch = i // batch_size if batch_size else 0
        if rng.random() < unlabeled:
            labels.append(ElicitedLabel(run=run, example_id=ex_id, label=None, score=None,
                                        kind=ElicitedLabel.Kind.UNLABELED, batch=batch))
            continue
        # drawn only when asked for, so runs without fill keep the seeded labels they always had
        kind = ElicitedLabel.Kind.FILLED if filled and rng.random() < filled else ElicitedLabel.Kind.ELICITED
        right = accuracy if kind == ElicitedLabel.Kind.ELICITED or filled_accuracy is None else filled_accuracy
        g = gold.get(ex_id, rng.random() < 0.5)
        label = g if rng.random() < right else not g
        mag = round(rng.uniform(0.05, 6.0), 3)
        labels.append(ElicitedLabel(run=run, example_id=ex_id, label=label, score=mag if label else -mag,
                                    kind=kind, batch=batch))
    ElicitedLabel.objects.bulk_create(labels)
    run.summary = {"label_counts": {
        "true": sum(1 for e in labels if e.label is True), "false": sum(1 for e in labels if e.label is False),
        **{k: sum(1 for e in labels if e.kind == k) for k in ElicitedLabel.Kind.values}}}
    if events:
        RunEvent.objects.bulk_create([
            RunEvent(run=run, iteration=i * 10, energy=-50 + 40 * (1 - 0.97 ** i) + rng.uniform(-1, 1),
                     accepted_flips=i * 3, inconsistencies=max(0, 12 - i // 3), labeled_count=min(len(labels), 8 + i),
                     accuracy=0.5 + 0.3 * (1 - 0.95 ** i)) for i in range(events)])
    run.example_count = run.labeled_count = len(labels)
    run.example_ids = [e.example_id for e in labels]
    last = run.events.order_by("-iteration").first()
    if last:
        run.iteration, run.energy, run.accepted_flips, run.inconsistencies = (
            last.iteration, last.energy, last.accepted_flips, last.inconsistencies)
    run.save()
    tallies.rebuild(dataset)  # as a finishing run does
    return run


def annotators(n: int, prefix: str = "ann"):
    User = get_user_model()
    return [User.objects.create_user(f"{prefix}{i}", password="pw-123456789") for i in range(n)]


def annotate(dataset: Dataset, users, example_ids, *, accuracy: float, seed: int) -> None:
    """Each user labels each given example: gold with probability `accuracy`, with a time spent."""
    rng = random.Random(seed)
    gold = dict(GoldLabel.objects.filter(example_id__in=example_ids).values_list("example_id", "label"))
    HumanLabel.objects.bulk_create([
        HumanLabel(example_id=ex, annotator=u, source=HumanLabel.Source.ANNOTATOR,
                   label=gold[ex] if rng.random() < accuracy else not gold[ex], seconds_spent=round(rng.uniform(2, 40), 1))
        for u in users for ex in example_ids])
    if example_ids:
        tallies.rebuild(Example.objects.get(pk=example_ids[0]).dataset_id)


def evaluation_with_results(dataset: Dataset, runs, *, test_split: str = "test", n_test: int = 120,
                            accuracies: dict | None = None, seed: int = 0, repeats: int = 3):
    """A completed Evaluation whose results are written directly, in the format the evaluation task stores
    (summarized by the service's own summarize): per condition and repeat, predictions of which exactly
    round(accuracy * n) match gold (a seeded choice of which, per repeat for many-shot conditions)."""
    from studio.models import Evaluation
    from studio.services.evaluation.summary import summarize

    rng = random.Random(seed)
    accuracies = accuracies or {"zero-shot": 0.55, "random": 0.55, "people": 0.65, "gold": 0.85}
    gold = dict(GoldLabel.objects.filter(example__dataset=dataset, example__split=test_split)
                .order_by("example__position").values_list("example_id", "label"))
    ids = list(gold)[:n_test]
    names = {"zero-shot": "Zero-shot", "random": "Random labels", "people": "People's labels", "gold": "Gold labels"}
    train = list(Example.objects.filter(dataset=dataset, split="train").order_by("position").values_list("pk", flat=True))
    demo_ids = [rng.sample(train, min(8, len(train))) for _ in range(repeats)]
    conditions, correct = [], {}
    for key, acc in list(accuracies.items()) + [(f"run:{r.pk}", 0.8) for r in runs]:
        kind = "icm" if key.startswith("run:") else key
        draws = 1 if kind == "zero-shot" else repeats
        rows = []
        for _ in range(draws):
            right = set(rng.sample(range(len(ids)), round(acc * len(ids))))
            rows.append([k in right for k in range(len(ids))])
        rows = rows * repeats if draws == 1 else rows
        correct[key] = rows
        conditions.append({"key": key, "kind": kind, "name": names.get(key, f"ICM run {key[4:]}"),
                           "run_id": int(key[4:]) if kind == "icm" else None, "model": "smollm2", "other_model": False,
                           "marks": [], "n_demos": 0 if kind == "zero-shot" else len(demo_ids[0]), "consistency": None,
                           "predictions": [[gold[i] if ok else not gold[i] for ok, i in zip(r, ids)] for r in rows]})
    summary = summarize(conditions, correct, seed=seed)
    return Evaluation.objects.create(
        dataset=dataset, state=Evaluation.State.COMPLETED, finished_at=timezone.now(),
        config={"train_split": "train", "test_split": test_split, "max_demos": None, "max_test": n_test, "seed": seed,
                "repeats": repeats, "calibrate": "center", "model": "smollm2", "conditions": [], "runs": []},
        results={"test_split": test_split, "train_split": "train", "test_ids": ids, "n_test": len(ids),
                 "repeats": [{"index": r, "seed": seed + r, "demo_ids": d, "n_demos": len(d),
                              "trimmed_for_context": False} for r, d in enumerate(demo_ids)],
                 "conditions": conditions, **summary, "skipped": [], "excluded_runs": [], "missing": [],
                 "demo_pool": {"size": len(train), "candidates": len(train)}})


def sst2_review_dataset(train: int = 8, test: int = 4, name: str = "sst2-review") -> Dataset:
    """Short real SST-2 dev sentences (half positive) with gold, split into train and test."""
    import csv

    rows = []
    with open(SHARED_DATA / "sst2" / "dev.tsv", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(r["sentence"].split()) <= 12:
                rows.append((r["sentence"].strip(), r["label"] == "1"))
    pos = [r for r in rows if r[1]][: (train + test + 1) // 2]
    neg = [r for r in rows if not r[1]][: (train + test + 1) // 2]
    chosen = [x for pair in zip(pos, neg) for x in pair][: train + test]
    ds = Dataset.objects.create(name=name, slug=name, task_type=Dataset.TaskType.TEXT,
                                prompt_template="Review: {sentence}\nClaim: The sentiment of this review is positive.\n"
                                "I think this claim is", display_fields=["sentence"])
    examples = Example.objects.bulk_create([
        Example(dataset=ds, external_id=str(i), split="train" if i < train else "test", position=i,
                fields={"sentence": text}, prompt=ds.prompt_template.format(sentence=text))
        for i, (text, _) in enumerate(chosen)])
    GoldLabel.objects.bulk_create([GoldLabel(example=e, label=label) for e, (_, label) in zip(examples, chosen)])
    return ds
