"""The expert label source on the dashboard: each adjudication's answers (key expert:N) counted against gold and
against every other source, over the items the expert answered only.

Not kept in the tallies: an adjudication answers at most its budget of items (MAX_BUDGET), so one pass over those
items (counting.count_everything restricted to them) is cheap, exact, and can never drift from the answers. The
people's majority in these counts honours the dashboard's annotator filter, as its own cells do."""
from __future__ import annotations

from studio.models import AdjudicationItem, Dataset

from . import counting
from .majority import eligible_annotators
from .sources import Source, expert_sources

EXPERT_NOTE = ("an adjudication's answers, on its sample only (drawn mostly where two sources disagree): its "
               "numbers describe those items, not the split; never gold, never people's votes")


def _answered(source: Source) -> list[int]:
    adjudication_id = int(source.key.partition(":")[2])
    return list(AdjudicationItem.objects.filter(adjudication_id=adjudication_id, expert_label__isnull=False)
                .order_by("example_id").values_list("example_id", flat=True))


def add_experts(dataset: Dataset, split: str, counts: dict, pair_sources: list[Source], *,
                min_labels: int | None) -> list[Source]:
    """Add the split's expert sources to `counts` (count_stored's result, changed in place): their cells against
    gold under per_source, and their 2x2 tables with every source in `pair_sources` (and each other) under pairs.
    Returns the expert sources added (none when no adjudication on the split has answers)."""
    experts = expert_sources(dataset, split)
    if not experts:
        return []  # the common case: no second read of the split's annotator tallies
    annotators = eligible_annotators(dataset, split, min_labels)
    if annotators == []:  # the filter leaves nobody: no user has id 0, so the majority counts no votes
        annotators = [0]
    for i, expert in enumerate(experts):
        others = [*pair_sources, *experts[:i]]  # expert-expert pairs once, counted on the later's items
        sub = counting.count_everything(dataset, split, [expert, *others], [expert, *others],
                                        example_ids=_answered(expert), people_annotators=annotators)
        counts["per_source"][expert.key] = sub["per_source"][expert.key]
        counts["pairs"].update({pair: cells for pair, cells in sub["pairs"].items() if expert.key in pair})
    return experts
