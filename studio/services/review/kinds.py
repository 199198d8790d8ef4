"""A run's labels scored by kind: elicited (labeled by the ICM search) and filled (the model's prediction after
the search), apart and together, against gold and against the people's majority, each with its n and 95% Wilson
interval. The together numbers come from the split's tallies (kept on write); the filled ones from one aggregate
over the run's filled labels in the split, and elicited = together − filled. A run whose summary says it filled
nothing skips the query."""
from __future__ import annotations

from django.db.models import Count, F, Q

from studio.models import Dataset, ElicitationRun, ElicitedLabel
from studio.services import metrics
from studio.services.tallies import Kind

from .sources import Source

KINDS = ("elicited", "filled", "all")


def _part(labeled: int, gold_correct: int, gold_n: int, people_correct: int, people_n: int, *, people: bool) -> dict:
    return {"labeled": labeled, "vs_gold": metrics.accuracy_with_ci(gold_correct, gold_n),
            "vs_people": metrics.accuracy_with_ci(people_correct, people_n) if people else None}


def _filled_counts(dataset: Dataset, split: str, run_id: int) -> dict:
    """Counts over the run's filled labels in the split: labeled, with gold (correct), with a strict people's
    majority (agreeing) — the dashboard's definitions (studio annotators only; ties have no majority)."""
    t, f = F("example__people_true"), F("example__people_false")
    return ElicitedLabel.objects.filter(
        run_id=run_id, kind=ElicitedLabel.Kind.FILLED, label__isnull=False,
        example__dataset=dataset, example__split=split,
    ).aggregate(
        labeled=Count("pk"),
        gold_n=Count("pk", filter=Q(example__gold__isnull=False)),
        gold_correct=Count("pk", filter=Q(example__gold__label=F("label"))),
        people_n=Count("pk", filter=~Q(example__people_true=f)),
        people_correct=Count("pk", filter=Q(label=True, example__people_true__gt=f)
                             | Q(label=False, example__people_false__gt=t)),
    )


def _fills_nothing(run_id: int) -> bool:
    counts = (ElicitationRun.objects.filter(pk=run_id).values_list("summary", flat=True).first() or {}).get(
        "label_counts") or {}
    return counts.get("filled") == 0


def filled_from_tallies(split_cells, run_id: int, people_ref: tuple[int, int]) -> tuple[int, int, int, int, int]:
    """_filled_counts' numbers read from the split's tallies (Kind.RUN_FILLED, kept on write): (labeled, correct
    against gold, with gold, agreeing with the people's majority `people_ref`, with a majority)."""
    ref = (Kind.RUN_FILLED, run_id)
    gold, people = split_cells.pair(ref, (Kind.GOLD, 0)), split_cells.pair(ref, people_ref)
    return (split_cells.n(ref), gold["tt"] + gold["ff"], sum(gold.values()), people["tt"] + people["ff"],
            sum(people.values()))


def by_kind(dataset: Dataset, split: str, source: Source, cells: dict, people_pair: dict | None, *,
            filled: tuple | None = None) -> dict:
    """{"elicited", "filled", "all"}: each {labeled, vs_gold {correct, n, accuracy, ci_low, ci_high}, vs_people
    (the same, agreement with the people's majority; None without annotator votes)}. `cells`: the source's
    counts against gold (labeled, tp, fp, fn, tn); `people_pair`: its 2x2 table against the people's majority."""
    people = people_pair is not None
    pp = people_pair or {"tt": 0, "tf": 0, "ft": 0, "ff": 0}
    together = (cells["labeled"], cells["tp"] + cells["tn"], cells["tp"] + cells["fp"] + cells["fn"] + cells["tn"],
                pp["tt"] + pp["ff"], pp["tt"] + pp["tf"] + pp["ft"] + pp["ff"])
    if filled is not None:  # read from the tallies by the caller
        pass
    elif _fills_nothing(source.run_id):
        filled = (0, 0, 0, 0, 0)
    else:
        c = _filled_counts(dataset, split, source.run_id)
        filled = (c["labeled"], c["gold_correct"], c["gold_n"], c["people_correct"], c["people_n"])
    # Tallies written past the services and not yet recounted (manage.py recount_tallies) can lag the labels:
    # never a negative count or more correct than counted.
    labeled, gold_ok, gold_n, people_ok, people_n = (max(0, a - b) for a, b in zip(together, filled))
    elicited = (labeled, min(gold_ok, gold_n), gold_n, min(people_ok, people_n), people_n)
    return {"elicited": _part(*elicited, people=people), "filled": _part(*filled, people=people),
            "all": _part(*together, people=people)}
