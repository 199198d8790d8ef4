"""Where an export's records come from: a run's elicited labels, people's labels (majority or one row per
label), an adjudication's expert answers or gold. Each is one ordered query read with a server-side cursor in
chunks, so memory stays flat."""
from collections.abc import Iterator

from django.db.models import Q, QuerySet

from studio.models import AdjudicationItem, Dataset, ElicitationRun, ElicitedLabel, Example, GoldLabel, HumanLabel
from studio.services.review.sources import Source, annotate_source
from studio.services.runs import results as run_results

from .options import ExportFilters
from .styles import Record

CHUNK_SIZE = 2000
RUN_TAGS = ("kind", "batch")  # columns every row of a run's export carries, in every style
# a run's labels-style columns after `label`: the centered log-odds and the label's confidence
# (studio.services.runs.results defines both)
RUN_COLUMNS = ("score", "confidence")
EXAMPLE_COLUMNS = ("example__external_id", "example__split", "example__fields", "example__prompt")


def majority_examples(dataset: Dataset, split: str, kind: str = "people") -> QuerySet:
    """The dataset's examples annotated with the review dashboard's majority column `majority` (True / False /
    None for a tie or no votes) and its vote counts `majority_t` / `majority_f`. kind 'people' counts studio
    annotators' labels, 'crowd' imported crowd votes — the same definitions the dashboard uses."""
    qs = Example.objects.filter(dataset=dataset).order_by()
    if split:
        qs = qs.filter(split=split)
    return annotate_source(qs, Source(key=kind, kind=kind, name=kind), "majority")


def run_queryset(run: ElicitationRun, filters: ExportFilters) -> QuerySet:
    """The run's labeled examples in dataset order; examples the search never labeled are left out, and its
    filled labels too with filled='exclude'."""
    qs = ElicitedLabel.objects.filter(run=run, label__isnull=False)
    if filters.filled == "exclude":
        qs = qs.exclude(kind=ElicitedLabel.Kind.FILLED)
    if filters.split:
        qs = qs.filter(example__split=filters.split)
    if filters.min_confidence is not None:
        qs = run_results.at_least_confident(qs, filters.min_confidence)
    if filters.agreement:
        # Ties and unvoted examples have no majority, so they neither agree nor disagree.
        majority = majority_examples(run.dataset, filters.split)
        said_true = majority.filter(majority=True).values("pk")
        said_false = majority.filter(majority=False).values("pk")
        if filters.agreement == "agree":
            qs = qs.filter(Q(label=True, example__in=said_true) | Q(label=False, example__in=said_false))
        else:
            qs = qs.filter(Q(label=True, example__in=said_false) | Q(label=False, example__in=said_true))
    qs = run_results.with_confidence(qs)
    return qs.order_by("example__position", "example_id").values_list(*EXAMPLE_COLUMNS, "label", *RUN_COLUMNS,
                                                                                *RUN_TAGS)


def run_records(run: ElicitationRun, filters: ExportFilters) -> Iterator[Record]:
    for ext, split, fields, prompt, label, score, confidence, kind, batch in run_queryset(run, filters).iterator(
            chunk_size=CHUNK_SIZE):
        yield Record(ext, split, fields, prompt, label,
                     {"score": score, "confidence": confidence, "kind": kind, "batch": batch})


def majority_records(dataset: Dataset, split: str = "", kind: str = "people") -> Iterator[Record]:
    """One record per example with a strict majority of votes (see majority_examples)."""
    qs = (
        majority_examples(dataset, split, kind)
        .filter(majority__isnull=False)
        .order_by("position", "pk")
        .values_list("external_id", "split", "fields", "prompt", "majority", "majority_t", "majority_f")
    )
    for ext, sp, fields, prompt, label, n_true, n_false in qs.iterator(chunk_size=CHUNK_SIZE):
        yield Record(ext, sp, fields, prompt, label, {"votes_true": n_true, "votes_false": n_false})


def annotator_records(dataset: Dataset, split: str = "", annotator: str = "") -> Iterator[Record]:
    """One record per human label; `annotator` names a username or an imported crowd voter ('crowd#3')."""
    qs = HumanLabel.objects.filter(example__dataset=dataset)
    if split:
        qs = qs.filter(example__split=split)
    if annotator.startswith("crowd#") and annotator[6:].isdigit():
        qs = qs.filter(source=HumanLabel.Source.CROWD, crowd_voter=int(annotator[6:]))
    elif annotator:
        qs = qs.filter(annotator__username=annotator)
    qs = qs.order_by("example__position", "example_id", "pk").values_list(
        *EXAMPLE_COLUMNS, "label", "annotator__username", "crowd_voter"
    )
    for ext, sp, fields, prompt, label, username, voter in qs.iterator(chunk_size=CHUNK_SIZE):
        yield Record(ext, sp, fields, prompt, label, {"annotator": username or f"crowd#{voter}"})


def expert_records(dataset: Dataset, split: str = "", adjudication_id: int | None = None) -> Iterator[Record]:
    """One record per expert answer (the "expert" source: never gold, never a vote), naming its adjudication;
    an example answered in two adjudications gives two rows. `adjudication_id`: only that one's answers."""
    qs = AdjudicationItem.objects.filter(adjudication__dataset=dataset, expert_label__isnull=False)
    if split:
        qs = qs.filter(example__split=split)
    if adjudication_id is not None:
        qs = qs.filter(adjudication_id=adjudication_id)
    qs = qs.order_by("example__position", "example_id", "adjudication_id").values_list(
        *EXAMPLE_COLUMNS, "expert_label", "adjudication_id", "note")
    for ext, sp, fields, prompt, label, adjudication, note in qs.iterator(chunk_size=CHUNK_SIZE):
        yield Record(ext, sp, fields, prompt, label, {"adjudication": adjudication, "note": note})


def gold_records(dataset: Dataset, split: str = "") -> Iterator[Record]:
    qs = GoldLabel.objects.filter(example__dataset=dataset)
    if split:
        qs = qs.filter(example__split=split)
    qs = qs.order_by("example__position", "example_id").values_list(*EXAMPLE_COLUMNS, "label")
    for ext, sp, fields, prompt, label in qs.iterator(chunk_size=CHUNK_SIZE):
        yield Record(ext, sp, fields, prompt, label, {})
