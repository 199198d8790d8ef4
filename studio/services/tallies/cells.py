"""The cells one example contributes to its split's tallies, computed from its labels (a handful of rows).
The recount (recount.py) counts the same cells for every example at once, in SQL; the two must agree."""
from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q

from studio.models import ElicitationRun, ElicitedLabel, GoldLabel, HumanLabel, Tally

Kind = Tally.Kind
CELL_FIELDS = ("split", "a_kind", "a_ref", "a_label", "b_kind", "b_ref", "b_label")


class Cell(NamedTuple):
    split: str
    a_kind: int
    a_ref: int
    a_label: bool
    b_kind: int = Kind.NONE
    b_ref: int = 0
    b_label: bool = False


class Votes(NamedTuple):
    people_true: int
    people_false: int
    crowd_true: int
    crowd_false: int


def qualifying_minimum() -> int:
    """The people's filter kept on write: annotators with at least this many labels in a split
    (REVIEW_MIN_ANNOTATOR_LABELS); at most 1 means everyone, and no QUALIFIED cells are kept."""
    return int(getattr(settings, "REVIEW_MIN_ANNOTATOR_LABELS", 10))


def annotator_counts(dataset_id: int, split: str) -> dict[int, int]:
    """{annotator id: labels in the split}, from its tallies (one small read)."""
    rows = (Tally.objects.filter(dataset_id=dataset_id, split=split, a_kind=Kind.ANNOTATOR, b_kind=Kind.NONE)
            .values_list("a_ref", "n"))
    counts: dict[int, int] = {}
    for ref, n in rows:
        counts[ref] = counts.get(ref, 0) + n
    return counts


def majority(t: int, f: int) -> bool | None:
    return True if t > f else False if f > t else None


def fixed_sources(example_id: int, split: str) -> list[tuple[int, int, bool]]:
    """The example's gold and completed runs' labels as (kind, ref, label): what a person's label leaves alone."""
    gold = GoldLabel.objects.filter(example_id=example_id).values_list("label", flat=True).first()
    runs = (ElicitedLabel.objects.filter(example_id=example_id, label__isnull=False,
                                         run__state=ElicitationRun.State.COMPLETED)
            .filter(Q(run__split="") | Q(run__split=split)).values_list("run_id", "label", "kind"))
    sources = [(Kind.GOLD, 0, bool(gold))] if gold is not None else []
    filled = ElicitedLabel.Kind.FILLED
    return sources + [(Kind.RUN, run_id, bool(label)) for run_id, label, _ in runs] + \
        [(Kind.RUN_FILLED, run_id, bool(label)) for run_id, label, kind in runs if kind == filled]


def example_cells(example_id: int, split: str, *, fixed=None, humans=None, twin: int | None = None,
                  qualified: frozenset[int] | None = None, minimum: int = 0,
                  units: bool = False) -> tuple[Counter, Votes]:
    """(cells, votes) of one example as the database holds it now. `fixed` (fixed_sources) and `humans`
    (human_rows) may be passed when the caller already read them. `twin`: the id of its twin (twins.py), whose
    annotators' labels count, negated, among its people's votes (not as those annotators' own labels; nor at
    all from an annotator who labeled both orders, as people could before the queue kept them apart); of two
    twins, the one with the larger id goes into the vote histogram as a mirror (a_label True), so the
    histogram's plain cells count each pair once (unless someone labeled both: then both orders are units).
    `qualified` (with `minimum` > 1): the annotators passing the people's filter in this split; their votes
    alone make the QUALIFIED source (ref = minimum) and the VOTES_QUALIFIED histogram. `units` (a comparison
    dataset): every two annotators' votes on the unit this example stands for (the histogram's unit: its own
    labels and, negated, its twin's from people who judged only there; nothing on a mirror) go into UNIT_VOTE
    pair cells, which Cohen's kappa between annotators reads so it counts what Fleiss' kappa counts."""
    keep_filter = qualified is not None and minimum > 1
    qt = qf = 0
    sources = list(fixed_sources(example_id, split) if fixed is None else fixed)
    if humans is None:
        humans = human_rows(example_id)
    pt = pf = ct = cf = 0
    both = False  # someone labeled both orders
    unit = {annotator: bool(label) for source, annotator, _, label in humans if source == HumanLabel.Source.ANNOTATOR}
    if twin is not None:
        here = set(unit)
        for source, annotator, _, label in human_rows(twin):
            if source != HumanLabel.Source.ANNOTATOR:
                continue
            if annotator in here:
                both = True
            else:  # judged only there
                unit[annotator] = not label
                pt, pf = pt + (not label), pf + bool(label)
                if keep_filter and annotator in qualified:
                    qt, qf = qt + (not label), qf + bool(label)
    cells: Counter = Counter()
    for source, annotator_id, crowd_voter, label in humans:
        if source == HumanLabel.Source.ANNOTATOR:
            sources.append((Kind.ANNOTATOR, annotator_id, bool(label)))
            pt, pf = pt + bool(label), pf + (not label)
            if keep_filter and annotator_id in qualified:
                qt, qf = qt + bool(label), qf + (not label)
        else:
            cells[Cell(split, Kind.CROWD_VOTER, crowd_voter, bool(label))] += 1
            ct, cf = ct + bool(label), cf + (not label)
    for kind, (t, f) in ((Kind.PEOPLE, (pt, pf)), (Kind.CROWD, (ct, cf))):
        m = majority(t, f)
        if m is not None:
            sources.append((kind, 0, m))
    if keep_filter and majority(qt, qf) is not None:
        sources.append((Kind.QUALIFIED, minimum, majority(qt, qf)))
    sources.sort()
    for i, (ak, ar, al) in enumerate(sources):
        cells[Cell(split, ak, ar, al)] += 1
        for bk, br, bl in sources[i + 1:]:
            cells[Cell(split, ak, ar, al, bk, br, bl)] += 1
    mirror = twin is not None and twin < example_id and not both
    if units and not mirror:
        voters = sorted(unit.items())
        for i, (a, la) in enumerate(voters):
            for b, lb in voters[i + 1:]:
                cells[Cell(split, Kind.UNIT_VOTE, a, la, Kind.UNIT_VOTE, b, lb)] += 1
    cells[Cell(split, Kind.VOTES_PEOPLE, pf, mirror, Kind.NONE, pt)] += 1
    cells[Cell(split, Kind.VOTES_CROWD, cf, False, Kind.NONE, ct)] += 1
    if keep_filter:
        cells[Cell(split, Kind.VOTES_QUALIFIED, qf, mirror, Kind.NONE, qt)] += 1
    return cells, Votes(pt, pf, ct, cf)


def human_rows(example_id: int) -> list[tuple]:
    return list(HumanLabel.objects.filter(example_id=example_id).order_by()
                .values_list("source", "annotator_id", "crowd_voter", "label"))
