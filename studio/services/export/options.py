"""What an export request may ask for, checked before the first byte is streamed."""
from dataclasses import dataclass

from studio.services.refusals import Refusal
from studio.services.splits import dataset_splits

FORMATS = ("jsonl", "csv")
STYLES = ("labels", "sft", "preference")
AGREEMENT = ("", "agree", "disagree")
# A run's filled labels (the model's predictions after the search, not elicited by it): kept or left out.
FILLED = ("include", "exclude")
# majority: studio annotators' strict majority (the dashboard's "People's majority"); crowd_majority: the
# imported crowd votes' majority; annotator: one row per label, naming who gave it.
HUMAN_MODES = ("majority", "crowd_majority", "annotator")

CONTENT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


class ExportError(Refusal, ValueError):
    """An export that cannot be produced as asked; the message names what is wrong."""


@dataclass(frozen=True)
class ExportFilters:
    """split: only this split ('' = all). min_confidence: only labels whose confidence (their centered score in
    the label's direction; studio.services.runs.results) is >= it, so a label that disagrees with the sign of
    its score is never kept (runs only).
    agreement: 'agree' / 'disagree' = only labels that match / contradict the people's majority (runs only).
    filled: 'include' / 'exclude' the run's filled labels (runs only)."""

    split: str = ""
    min_confidence: float | None = None
    agreement: str = ""
    filled: str = "include"

    def __post_init__(self):
        if self.min_confidence is not None and not self.min_confidence >= 0:
            raise ExportError(f"min_confidence must be a number >= 0, got {self.min_confidence!r}.")
        if self.agreement not in AGREEMENT:
            raise ExportError(f"agreement must be 'agree' or 'disagree', got {self.agreement!r}.")
        if self.filled not in FILLED:
            raise ExportError(f"filled must be 'include' or 'exclude', got {self.filled!r}.", "filled")


def check_split(dataset, split: str) -> None:
    if split and split not in (splits := dataset_splits(dataset)):
        have = ", ".join(repr(s) for s in splits) or "none (the dataset has no examples)"
        raise ExportError(f"dataset '{dataset.slug}' has no split {split!r}; its splits: {have}.")


def check_format_and_style(fmt: str, style: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    if style not in STYLES:
        raise ExportError(f"style must be one of {', '.join(STYLES)}; got {style!r}.")
