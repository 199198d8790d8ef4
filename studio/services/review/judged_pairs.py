"""Agreement between two annotators on a comparison dataset, counted over the units the vote histogram (and so
Fleiss' kappa) counts: each pair once, in its first order, with a person's judgement of the other order
counted negated (tallies/twins.py). The annotators' own cells count an order only where they judged it, so
two people shown different orders of a pair (the queue picks per person) never met there: Cohen's kappa
between them covered about half the pairs and could read 0.00 beside a Fleiss' kappa of 0.66.

Read from the split's tallies (Tally.Kind.UNIT_VOTE pair cells, kept on write like the others), so the
dashboard costs the same at 100 pairs and at 100,000."""
from __future__ import annotations

from itertools import combinations

from studio.models import Dataset
from studio.services import tallies
from studio.services.tallies.reading import SplitCells

from .sources import Source


def annotator_pair_cells(dataset: Dataset, cells: SplitCells, annotators: list[Source]) -> dict:
    """{(key_a, key_b): {tt, tf, ft, ff}} for every two of `annotators` (in list order; first letter: a's
    vote), over the split's units both voted on; {} when the dataset has no twins (the stored cells hold)."""
    if not tallies.has_twins(dataset) or len(annotators) < 2:
        return {}
    unit = tallies.Kind.UNIT_VOTE
    return {(sa.key, sb.key): cells.pair((unit, sa.annotator_id), (unit, sb.annotator_id))
            for sa, sb in combinations(annotators, 2)}
