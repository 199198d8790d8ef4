"""Label sources for a dataset and split, and the SQL column that gives each source's label per example.

A label source is a set of labels given to the dataset's examples and measured against gold: a completed ICM
run, the people's majority vote (ties stay ties), one annotator, or the imported crowd votes' majority. An
evaluation's conditions (zero-shot, many-shot with random/gold/people/ICM demonstrations) are not label
sources: they are the model's test predictions under each condition, shown by the evaluation's own results.
Every source turns into one annotation on an Example queryset (True / False / NULL), so counts come from the
database.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, Case, CharField, F, FilteredRelation, FloatField, Q, QuerySet, Sum, Value, When

from studio.models import Dataset, ElicitationRun, Evaluation, Example, HumanLabel, Tally
from studio.services import tallies
from studio.services.refusals import Refusal
from studio.services.splits import dataset_splits

DEFAULT_MIN_ANNOTATOR_LABELS = 10


class ReviewError(Refusal, ValueError):
    """Bad review input (unknown split or source, malformed cursor); the message names what is wrong."""


@dataclass(frozen=True)
class Source:
    key: str  # stable id used in URLs and the API: run:3, people, crowd, annotator:7, expert:2
    kind: str  # run | people | crowd | annotator | expert
    name: str
    run_id: int | None = None
    annotator_id: int | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "name": self.name, "run_id": self.run_id,
                "annotator_id": self.annotator_id}


def min_annotator_labels() -> int:
    return int(getattr(settings, "REVIEW_MIN_ANNOTATOR_LABELS", DEFAULT_MIN_ANNOTATOR_LABELS))


def check_split(dataset: Dataset, split: str) -> str:
    if Example.objects.filter(dataset=dataset, split=split).exists():
        return split
    splits = dataset_splits(dataset)
    if split not in splits:
        have = ", ".join(repr(s) for s in splits) or "none (the dataset has no examples)"
        raise ReviewError(f"dataset {dataset.slug!r} has no split {split!r}; its splits: {have}", "split")
    return split


# The tally cells that count one label each: a completed run's label, an annotator's label, a crowd vote.
LABEL_TALLY_KINDS = (tallies.Kind.RUN, tallies.Kind.ANNOTATOR, tallies.Kind.CROWD_VOTER)


def labels_by_split(dataset: Dataset) -> dict[str, int]:
    """{split: labels in it}: completed runs' labels, annotators' labels and imported crowd votes (gold not
    counted), from the splits' tallies (kept on write): one small grouped read."""
    rows = (Tally.objects.filter(dataset=dataset, b_kind=tallies.Kind.NONE, a_kind__in=LABEL_TALLY_KINDS, n__gt=0)
            .values("split").annotate(total=Sum("n")).values_list("split", "total"))
    return {split: total for split, total in rows if total}


def default_split(dataset: Dataset) -> str:
    """The split the review pages open on: the one with the most labels (runs', people's or imported votes);
    on a tie, or when no split has labels, "test" if the dataset has it, else its first split."""
    splits = dataset_splits(dataset)
    fallback = "test" if "test" in splits else (splits[0] if splits else "")
    counts = labels_by_split(dataset)
    labeled = [s for s in splits if counts.get(s)]
    if not labeled:
        return fallback
    return max(labeled, key=lambda s: (counts[s], s == fallback, -splits.index(s)))


def runs_for_split(dataset: Dataset, split: str) -> QuerySet[ElicitationRun]:
    """Completed runs that labeled this split (a run with a blank split covers every split)."""
    return (
        ElicitationRun.objects.filter(dataset=dataset, state=ElicitationRun.State.COMPLETED)
        .filter(Q(split="") | Q(split=split))
        .order_by("pk")
    )


def latest_evaluation(dataset: Dataset) -> Evaluation | None:
    return Evaluation.objects.filter(dataset=dataset, state=Evaluation.State.COMPLETED).order_by("-finished_at", "-pk").first()


def vote_summary(dataset: Dataset, split: str) -> list[dict]:
    """A row per annotator and per crowd vote position, with {"source", "annotator_id", "annotator__username",
    "crowd_voter", "n"}, read from the split's tallies (kept on write), not from the votes."""
    return tallies.vote_rows(tallies.split_cells(dataset.pk, split))


def annotators_in(summary: list[dict], min_labels: int = 1) -> list[dict]:
    return [r for r in summary if r["source"] == HumanLabel.Source.ANNOTATOR and r["n"] >= min_labels]


def _has_votes(dataset: Dataset, split: str, kind: str, annotator_id: int | None = None) -> bool:
    """Whether the split has votes of this kind (or by this annotator), from its tallies."""
    cells = Tally.objects.filter(dataset=dataset, split=split, b_kind=tallies.Kind.NONE, n__gt=0)
    if annotator_id is not None:
        return cells.filter(a_kind=tallies.Kind.ANNOTATOR, a_ref=annotator_id).exists()
    return cells.filter(a_kind=tallies.Kind.ANNOTATOR if kind == HumanLabel.Source.ANNOTATOR
                        else tallies.Kind.CROWD_VOTER).exists()


def label_sources(dataset: Dataset, split: str, *, min_labels: int | None = None,
                  summary: list[dict] | None = None, evaluation: object = None) -> list[Source]:
    """Every label source for a dataset and split: runs, people's majority, annotators with at least
    `min_labels` labels in the split and the crowd's majority; never an evaluation's conditions (see the
    module docstring; `evaluation` is accepted and ignored, for callers written when they were listed).
    `summary`: vote_summary's rows, when the caller has them already."""
    check_split(dataset, split)
    min_labels = min_annotator_labels() if min_labels is None else min_labels
    if summary is None:  # read from the split's tallies: a few hundred rows, no pass over labels
        summary = vote_summary(dataset, split)
    sources = [Source(key=f"run:{r.pk}", kind="run", name=f"ICM run {r.pk}", run_id=r.pk)
               for r in runs_for_split(dataset, split)]
    kinds = {r["source"] for r in summary}
    annotators = annotators_in(summary, min_labels)
    if HumanLabel.Source.ANNOTATOR in kinds:
        sources.append(Source(key="people", kind="people", name="People's majority"))
    if HumanLabel.Source.CROWD in kinds:
        sources.append(Source(key="crowd", kind="crowd", name="Crowd votes' majority (imported)"))
    for a in annotators:
        sources.append(Source(key=f"annotator:{a['annotator_id']}", kind="annotator",
                              name=f"Annotator {a['annotator__username']}", annotator_id=a["annotator_id"]))
    return sources


def find_source(dataset: Dataset, split: str, key: str) -> Source:
    """The source with this key (run:N, people, crowd, annotator:N), checked to exist for the
    split, without listing every source."""
    kind, _, rest = key.partition(":")
    missing = ReviewError(f"no label source {key!r} for dataset {dataset.slug!r}, split {split!r}")
    if kind == "run" and rest.isdigit():
        if not runs_for_split(dataset, split).filter(pk=int(rest)).exists():
            raise missing
        return Source(key=key, kind="run", name=f"ICM run {rest}", run_id=int(rest))
    if key in ("people", "crowd") and _has_votes(dataset, split, HumanLabel.Source.ANNOTATOR if key == "people"
                                                  else HumanLabel.Source.CROWD):
        return Source(key="people", kind="people", name="People's majority") if key == "people" else \
            Source(key="crowd", kind="crowd", name="Crowd votes' majority (imported)")
    if kind == "expert" and rest.isdigit() and int(rest) < 2**63:  # an adjudication's expert answers (never gold, never votes)
        from studio.models import Adjudication

        adj = Adjudication.objects.filter(dataset=dataset, split=split, pk=int(rest)).first()
        if adj is None:
            raise missing
        return expert_source(adj)
    if kind == "annotator" and rest.isdigit():
        from django.contrib.auth import get_user_model

        name = get_user_model().objects.filter(pk=int(rest)).values_list("username", flat=True).first()
        if name is None or not _has_votes(dataset, split, HumanLabel.Source.ANNOTATOR, int(rest)):
            raise missing
        return Source(key=key, kind="annotator", name=f"Annotator {name}", annotator_id=int(rest))
    raise missing


def expert_source(adjudication) -> Source:
    return Source(key=f"expert:{adjudication.pk}", kind="expert", name=f"Expert (adjudication {adjudication.pk})")


def expert_sources(dataset: Dataset, split: str) -> list[Source]:
    """The split's adjudications with at least one expert answer, as label sources (key expert:N): for the
    disagreement table and exports. Not in label_sources: the dashboard counts its sources from tallies."""
    from studio.models import Adjudication

    adjs = Adjudication.objects.filter(dataset=dataset, split=split, items__expert_label__isnull=False).distinct()
    return [expert_source(a) for a in adjs.order_by("pk")]


# --- SQL columns -------------------------------------------------------------------------------------------

def split_examples(dataset: Dataset, split: str) -> QuerySet[Example]:
    return Example.objects.filter(dataset=dataset, split=split).order_by()


def majority_case(t: str, f: str):
    """True / False by strict majority of the counted votes; NULL for a tie or no votes."""
    return Case(When(**{f"{t}__gt": F(f)}, then=Value(True)), When(**{f"{f}__gt": F(t)}, then=Value(False)),
                default=Value(None), output_field=BooleanField())


def vote_counts(kind: str) -> dict:
    """Annotations giving an example's True and False votes of one kind (annotator | crowd): the example's
    own vote columns, kept on write (no pass over the votes)."""
    prefix = "people" if kind == HumanLabel.Source.ANNOTATOR else "crowd"
    return {f"{kind}_t": F(f"{prefix}_true"), f"{kind}_f": F(f"{prefix}_false")}


def annotate_source(qs: QuerySet, source: Source, alias: str, *, with_score: bool = False) -> QuerySet:
    """Add column `alias` (the source's label: True / False / NULL) to an Example queryset. People and
    crowd columns read the example's vote columns (kept on write), so the queryset stays ungrouped.
    with_score also adds `<alias>_score` and `<alias>_kind` (a run label's kind: elicited / filled /
    unlabeled; NULL for other sources)."""
    if source.kind == "run":
        rel = f"{alias}_rel"
        qs = qs.alias(**{rel: FilteredRelation("elicited_labels", condition=Q(elicited_labels__run_id=source.run_id))})
        qs = qs.annotate(**{alias: F(f"{rel}__label")})
        if with_score:
            qs = qs.annotate(**{f"{alias}_score": F(f"{rel}__score"), f"{alias}_kind": F(f"{rel}__kind")})
        return qs
    if with_score:  # only runs have scores and label kinds
        qs = qs.annotate(**{f"{alias}_score": Value(None, output_field=FloatField()),
                            f"{alias}_kind": Value(None, output_field=CharField())})
    if source.kind == "expert":
        rel = f"{alias}_rel"
        adjudication_id = int(source.key.partition(":")[2])
        qs = qs.alias(**{rel: FilteredRelation("adjudication_items",
                                               condition=Q(adjudication_items__adjudication_id=adjudication_id))})
        return qs.annotate(**{alias: F(f"{rel}__expert_label")})
    if source.kind == "annotator":
        rel = f"{alias}_rel"
        qs = qs.alias(**{rel: FilteredRelation("human_labels", condition=Q(human_labels__annotator_id=source.annotator_id))})
        return qs.annotate(**{alias: F(f"{rel}__label")})
    if source.kind in ("people", "crowd"):
        vote_kind = HumanLabel.Source.ANNOTATOR if source.kind == "people" else HumanLabel.Source.CROWD
        t, f = f"{alias}_t", f"{alias}_f"
        counts = vote_counts(vote_kind)
        qs = qs.annotate(**{t: counts[f"{vote_kind}_t"], f: counts[f"{vote_kind}_f"]})
        return qs.annotate(**{alias: majority_case(t, f)})
    raise ReviewError(f"unknown source kind {source.kind!r}")
