"""Streaming exports of labels in the shapes training pipelines load (JSONL or CSV; labels / sft / preference).

Each `export_*` function checks its arguments at once (ExportError names what is wrong) and returns a lazy
iterator of text chunks, for a StreamingHttpResponse or a file. Callers check who may see what."""
from collections.abc import Iterable, Iterator

from studio.models import Dataset, ElicitationRun

from . import sources
from .options import (
    AGREEMENT,
    CONTENT_TYPES,
    FILLED,
    FORMATS,
    HUMAN_MODES,
    STYLES,
    ExportError,
    ExportFilters,
    check_format_and_style,
    check_split,
)
from .styles import Record, Shape
from .writers import encode

__all__ = [
    "AGREEMENT",
    "CONTENT_TYPES",
    "FILLED",
    "FORMATS",
    "HUMAN_MODES",
    "STYLES",
    "ExportError",
    "ExportFilters",
    "export_expert_labels",
    "export_gold",
    "export_human_labels",
    "export_run",
    "filename",
    "run_rows",
]


def _shaped(shape: Shape, records: Iterable[Record]) -> Iterator[dict]:
    row = shape.row
    for record in records:
        yield row(record)


def run_rows(run: ElicitationRun, style: str, filters: ExportFilters | None = None) -> tuple[list[str], Iterator[dict]]:
    """(columns, rows) of a run's export, rows lazily."""
    check_format_and_style("jsonl", style)
    filters = filters or ExportFilters()
    check_split(run.dataset, filters.split)
    # every style's rows say how the model got each label: kind (elicited / filled) and the run's batch
    shape = Shape(run.dataset, style, sources.RUN_COLUMNS, tags=sources.RUN_TAGS)
    return shape.columns, _shaped(shape, sources.run_records(run, filters))


def export_run(run: ElicitationRun, fmt: str, style: str, filters: ExportFilters | None = None) -> Iterator[str]:
    check_format_and_style(fmt, style)
    columns, rows = run_rows(run, style, filters)
    return encode(rows, columns, fmt)


def export_human_labels(
    dataset: Dataset, fmt: str, style: str, *, mode: str = "majority", split: str = "", annotator: str = ""
) -> Iterator[str]:
    """People's labels: `majority` / `crowd_majority` = one row per example with a strict majority of studio
    annotators' / imported crowd votes (ties left out, as on the dashboard); `annotator` = one row per label,
    naming who gave it (a username, or crowd#N for an imported vote)."""
    check_format_and_style(fmt, style)
    if mode not in HUMAN_MODES:
        raise ExportError(f"mode must be one of {', '.join(HUMAN_MODES)}; got {mode!r}.")
    check_split(dataset, split)
    if mode != "annotator":
        if annotator:
            raise ExportError("annotator applies to mode=annotator only.")
        shape = Shape(dataset, style, ("votes_true", "votes_false"))
        records = sources.majority_records(dataset, split, "people" if mode == "majority" else "crowd")
    else:
        shape = Shape(dataset, style, ("annotator",))
        records = sources.annotator_records(dataset, split, annotator)
    return encode(_shaped(shape, records), shape.columns, fmt)


def export_expert_labels(dataset: Dataset, fmt: str, style: str, *, split: str = "",
                         adjudication: int | None = None) -> Iterator[str]:
    """Expert answers from the dataset's adjudications (one row per answer, with its adjudication and note);
    `adjudication` picks one, refused by name when the dataset has no such adjudication."""
    check_format_and_style(fmt, style)
    check_split(dataset, split)
    if adjudication is not None and not dataset.adjudications.filter(pk=adjudication).exists():
        raise ExportError(f"adjudication: dataset {dataset.slug!r} has no adjudication {adjudication}.",
                          "adjudication")
    shape = Shape(dataset, style, ("adjudication", "note"))
    return encode(_shaped(shape, sources.expert_records(dataset, split, adjudication)), shape.columns, fmt)


def export_gold(dataset: Dataset, fmt: str, style: str, *, split: str = "") -> Iterator[str]:
    """Gold labels (admins only: the caller checks)."""
    check_format_and_style(fmt, style)
    check_split(dataset, split)
    shape = Shape(dataset, style)
    return encode(_shaped(shape, sources.gold_records(dataset, split)), shape.columns, fmt)


def filename(stem: str, style: str, fmt: str) -> str:
    return f"{stem}-{style}.{fmt}"
