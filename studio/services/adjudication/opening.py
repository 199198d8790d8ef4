"""Opening an adjudication: check the options, read both sources' labels on the split, draw the seeded sample
(studio.services.adjudication.sampling) and record each draw with its stratum, weight and the sources' labels."""
from __future__ import annotations

from django.db import transaction

from studio.models import Adjudication, AdjudicationItem, Dataset
from studio.services import review
from studio.services.review.sources import annotate_source, runs_for_split, split_examples

from . import sampling
from .errors import AdjudicationError

OPTIONS = ("split", "source_a", "source_b", "budget", "share_disagreements", "target_half_width", "seed")
MAX_BUDGET = 10_000
DEFAULTS = {"budget": 40, "share_disagreements": sampling.DEFAULT_SHARE, "target_half_width": 0.05, "seed": 0}


def _number(options: dict, name: str, kind, low, high, what: str):
    raw = options.get(name, DEFAULTS[name])
    if isinstance(raw, (bool, dict, list)) or raw is None or raw == "":
        raise AdjudicationError(f"{name} must be {what}; got {str(raw)[:40]!r}", name)
    try:
        value = kind(raw)
        if kind is int and float(raw) != value:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise AdjudicationError(f"{name} must be {what}; got {str(raw)[:40]!r}", name) from None
    if not (low <= value <= high):
        raise AdjudicationError(f"{name} must be {what}; got {str(raw)[:40]!r}", name)
    return value


def default_sources(dataset: Dataset, split: str) -> tuple[str | None, str | None]:
    """The newest completed ICM run on the split against the people's majority (or the imported crowd's, when
    the split has no studio votes)."""
    run = runs_for_split(dataset, split).order_by("-pk").first()
    keys = [s.key for s in review.label_sources(dataset, split, min_labels=1)]
    people = "people" if "people" in keys else ("crowd" if "crowd" in keys else None)
    return (f"run:{run.pk}" if run else None), people


def source_labels(dataset: Dataset, split: str, a: review.Source, b: review.Source) -> list[tuple[int, bool, bool]]:
    """(example id, A's label, B's label) for the split's examples both sources label."""
    qs = annotate_source(annotate_source(split_examples(dataset, split), a, "src_a"), b, "src_b")
    return list(qs.filter(src_a__isnull=False, src_b__isnull=False).order_by("pk").values_list("pk", "src_a", "src_b"))


def open_adjudication(dataset: Dataset, options: dict, *, user=None) -> Adjudication:
    """Check `options` (see OPTIONS; every one optional), draw the sample, record it. Refusals name the option."""
    options = {k: v for k, v in dict(options).items() if k != "csrfmiddlewaretoken" and k != "dataset"}
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise AdjudicationError(f"Unknown option(s): {', '.join(unknown)} (allowed: {', '.join(OPTIONS)})", unknown[0])
    split = options.get("split") or review.default_split(dataset)
    if split not in review.dataset_splits(dataset):
        have = ", ".join(repr(s) for s in review.dataset_splits(dataset)) or "none"
        raise AdjudicationError(f"dataset {dataset.slug!r} has no split {split!r}; its splits: {have}", "split")
    budget = _number(options, "budget", int, 1, MAX_BUDGET, f"a whole number from 1 to {MAX_BUDGET}")
    share = _number(options, "share_disagreements", float, 0.0, 1.0, "a share from 0 to 1 (0.8 = 80%)")
    if share == 0.0:
        raise AdjudicationError("share_disagreements must be above 0: only the disagreements tell the sources "
                                "apart", "share_disagreements")
    width = _number(options, "target_half_width", float, 0.001, 1.0, "a share from 0.001 to 1 (0.05 = ±5 points)")
    seed = _number(options, "seed", int, 0, 2**62, "a whole number from 0")
    default_a, default_b = default_sources(dataset, split)
    keys = {}
    for name, default in (("source_a", default_a), ("source_b", default_b)):
        key = str(options.get(name) or default or "").strip()
        ref = key.partition(":")[2]
        if len(key) > 50 or (ref.isdigit() and int(ref) >= 2**63):
            raise AdjudicationError(f"{name}: no label source {key[:50]!r} for dataset {dataset.slug!r}, split "
                                    f"{split!r}", name)
        if not key:
            raise AdjudicationError(f"{name}: the split {split!r} has no default source (a completed ICM run for "
                                    "source_a, people's or crowd votes for source_b); name one", name)
        try:
            keys[name] = review.find_source(dataset, split, key)
        except review.ReviewError as refusal:
            raise AdjudicationError(f"{name}: {refusal.message}", name) from None
        if keys[name].kind == "expert":  # answers on another sample: adjudicating them would estimate nothing
            raise AdjudicationError(f"{name}: {key} is an adjudication's expert answers, not a source to adjudicate "
                                    "(it labels only its own sample)", name)
    a, b = keys["source_a"], keys["source_b"]
    if a.key == b.key:
        raise AdjudicationError(f"source_a and source_b are the same source ({a.key}); name two different ones",
                                "source_b")
    rows = source_labels(dataset, split, a, b)
    disagree = [pk for pk, la, lb in rows if la != lb]
    agree = [pk for pk, la, lb in rows if la == lb]
    if not disagree:
        raise AdjudicationError(f"{a.name} and {b.name} never disagree on split {split!r} ({len(rows)} items both "
                                "label): there is nothing to adjudicate, their accuracies are equal", "split")
    labels = {pk: (la, lb) for pk, la, lb in rows}
    draws = sampling.draw(disagree, agree, budget, share, seed=seed)
    with transaction.atomic():
        adj = Adjudication.objects.create(
            dataset=dataset, split=split, source_a=a.key, source_b=b.key, name_a=a.name, name_b=b.name,
            budget=len(draws), share_disagreements=share, target_half_width=width, seed=seed,
            n_items=len(rows), n_disagree=len(disagree), created_by=user if user and user.is_authenticated else None)
        AdjudicationItem.objects.bulk_create([  # in the shuffled order: ids say no more than the order does
            AdjudicationItem(adjudication=adj, example_id=d.example_id, order=d.order, stratum=d.stratum,
                             weight=d.weight, label_a=labels[d.example_id][0], label_b=labels[d.example_id][1])
            for d in sorted(draws, key=lambda d: d.order)])
    return adj
