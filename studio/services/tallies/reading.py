"""Reading the tallies: a split's cells (a few hundred rows however large the split), and the rows the review
and labeling pages derive from them."""
from __future__ import annotations

from django.contrib.auth import get_user_model

from studio.models import HumanLabel, Tally

from .cells import Kind

SOURCE_KINDS = {"gold": Kind.GOLD, "run": Kind.RUN, "people": Kind.PEOPLE, "crowd": Kind.CROWD,
                "annotator": Kind.ANNOTATOR}


class SplitCells:
    """A split's nonzero cells: `n(a, label)`, `pair(a, b)`, `histogram(kind)`; a source is (kind, ref)."""

    def __init__(self, rows):
        self.sources: dict[tuple, int] = {}
        self.pairs: dict[tuple, int] = {}
        # hist: one unit per example, but per pair for twins (twins.py); mirrors: the twins left out of hist
        self.hist: dict[int, dict[tuple[int, int], int]] = {Kind.VOTES_PEOPLE: {}, Kind.VOTES_CROWD: {},
                                                           Kind.VOTES_QUALIFIED: {}}
        self.mirrors: dict[int, dict[tuple[int, int], int]] = {k: {} for k in self.hist}
        for ak, ar, al, bk, br, bl, n in rows:
            if ak in self.hist:
                into = self.mirrors[ak] if al else self.hist[ak]
                into[(ar, br)] = into.get((ar, br), 0) + n
            elif bk == Kind.NONE:
                self.sources[(ak, ar, bool(al))] = n
            else:
                self.pairs[(ak, ar, bool(al), bk, br, bool(bl))] = n

    def n(self, source: tuple[int, int], label: bool | None = None) -> int:
        if label is None:
            return self.n(source, True) + self.n(source, False)
        return self.sources.get((*source, label), 0)

    def pair(self, a: tuple[int, int], b: tuple[int, int]) -> dict:
        """2x2 cells {tt, tf, ft, ff} (first letter: a's label) over examples both label."""
        if a > b:
            flipped = self.pair(b, a)
            return {"tt": flipped["tt"], "ff": flipped["ff"], "tf": flipped["ft"], "ft": flipped["tf"]}
        get = lambda la, lb: self.pairs.get((*a, la, *b, lb), 0)  # noqa: E731
        return {"tt": get(True, True), "tf": get(True, False), "ft": get(False, True), "ff": get(False, False)}

    def histogram(self, kind: int, *, every_example: bool = False) -> list[tuple[int, int, int]]:
        """(False votes, True votes, units) for units with at least one vote of this kind, sorted. A unit is
        an example, or for people's votes on twins a pair (what one judgement covers); every_example counts
        both twins of a pair."""
        counts = dict(self.hist[kind])
        if every_example and kind in (Kind.VOTES_PEOPLE, Kind.VOTES_QUALIFIED):
            for key, n in self.mirrors[kind].items():
                counts[key] = counts.get(key, 0) + n
        return sorted((f, t, n) for (f, t), n in counts.items() if f + t > 0 and n)

    def examples(self) -> int:
        return sum(self.hist[Kind.VOTES_PEOPLE].values()) + sum(self.mirrors[Kind.VOTES_PEOPLE].values())

    def units(self) -> int:
        """Examples, counting two twins once (what the labeling queue hands out)."""
        return sum(self.hist[Kind.VOTES_PEOPLE].values())

    def _labels_by_ref(self, kind: int) -> dict[int, int]:
        out: dict[int, int] = {}
        for (k, ref, _), n in self.sources.items():
            if k == kind and n:
                out[ref] = out.get(ref, 0) + n
        return out

    def annotators(self) -> dict[int, int]:
        """{annotator id: labels} in the split."""
        return self._labels_by_ref(Kind.ANNOTATOR)

    def crowd_voters(self) -> dict[int, int]:
        """{crowd voter position: votes} in the split."""
        return self._labels_by_ref(Kind.CROWD_VOTER)


def split_cells(dataset_id: int, split: str | None) -> SplitCells:
    """The cells of one split, or (None) of every split summed."""
    qs = Tally.objects.filter(dataset_id=dataset_id).exclude(n=0)
    if split is not None:
        qs = qs.filter(split=split)
    rows = qs.values_list("a_kind", "a_ref", "a_label", "b_kind", "b_ref", "b_label", "n")
    if split is None:
        summed: dict[tuple, int] = {}
        for *key, n in rows:
            summed[tuple(key)] = summed.get(tuple(key), 0) + n
        rows = [(*k, n) for k, n in summed.items()]
    return SplitCells(rows)


def vote_rows(cells: SplitCells) -> list[dict]:
    """vote_summary's rows: one per annotator and per crowd vote position, with {"source", "annotator_id",
    "annotator__username", "crowd_voter", "n"}, ordered by source, most labels first."""
    annotators = cells.annotators()
    names = dict(get_user_model().objects.filter(pk__in=list(annotators)).values_list("pk", "username"))
    rows = [{"source": HumanLabel.Source.ANNOTATOR.value, "annotator_id": pk, "annotator__username": names.get(pk),
             "crowd_voter": None, "n": n} for pk, n in annotators.items()]
    rows += [{"source": HumanLabel.Source.CROWD.value, "annotator_id": None, "annotator__username": None,
              "crowd_voter": pos, "n": n} for pos, n in cells.crowd_voters().items()]
    rows.sort(key=lambda r: (r["source"], -r["n"], r["annotator_id"] or 0, r["crowd_voter"] or 0))
    return rows
