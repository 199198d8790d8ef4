"""Agreement between two annotators on a comparison dataset, counted over the units the vote histogram (and so
Fleiss' kappa) counts: each pair once, in its first order, with a person's judgement of the other order
counted negated (tallies/twins.py). The annotators' own cells count an order only where they judged it, so
two people shown different orders of a pair (the queue picks per person) never met there: Cohen's kappa
between them covered about half the pairs and could read 0.00 beside a Fleiss' kappa of 0.66.

Read at request time from the annotators' labels in the split (people's labels: hundreds to thousands of
rows), for the few annotators the kappa matrix shows."""
from __future__ import annotations

from itertools import combinations

from django.db.models import Q

from studio.models import Dataset, HumanLabel
from studio.services import tallies

from .sources import Source, split_examples


def annotator_pair_cells(dataset: Dataset, split: str, annotators: list[Source]) -> dict:
    """{(key_a, key_b): {tt, tf, ft, ff}} for every two of `annotators` (in list order; first letter: a's
    vote), over the split's units both voted on; {} when the dataset has no twins (the stored cells hold)."""
    if not tallies.has_twins(dataset) or len(annotators) < 2:
        return {}
    twin_of = dict(tallies.with_twin(split_examples(dataset, split), dataset).values_list("pk", "twin"))
    ids = set(twin_of) | {t for t in twin_of.values() if t}
    labels: dict[int, dict[int, bool]] = {}  # example -> {annotator: label}, every annotator (for "both")
    for ex, who, label in (HumanLabel.objects.filter(source=HumanLabel.Source.ANNOTATOR, example_id__in=ids)
                           .exclude(Q(annotator_id__isnull=True)).order_by()
                           .values_list("example_id", "annotator_id", "label")):
        labels.setdefault(ex, {})[who] = bool(label)
    wanted = [s.annotator_id for s in annotators]
    votes: list[dict[int, bool]] = []  # per unit: {annotator: vote}
    for ex, twin in twin_of.items():
        here, there = labels.get(ex, {}), labels.get(twin, {}) if twin else {}
        both = bool(set(here) & set(there))
        if twin is not None and twin < ex and not both:
            continue  # the mirror: its pair is counted at the twin (cells.example_cells)
        unit = {a: here[a] for a in wanted if a in here}
        unit.update({a: not there[a] for a in wanted if a in there and a not in here})
        if len(unit) >= 2:
            votes.append(unit)
    out = {}
    for sa, sb in combinations(annotators, 2):
        cells = {"tt": 0, "tf": 0, "ft": 0, "ff": 0}
        for unit in votes:
            if sa.annotator_id in unit and sb.annotator_id in unit:
                a, b = unit[sa.annotator_id], unit[sb.annotator_id]
                cells[("t" if a else "f") + ("t" if b else "f")] += 1
        out[(sa.key, sb.key)] = cells
    return out
