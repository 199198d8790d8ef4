"""Review: the model against people against gold. Label sources, the dashboard's numbers, the
disagreement table (keyset pages) and the example detail, as plain functions over the ORM."""
from .comparison import comparison, newest_evaluation_status
from .curves import run_curves
from .dashboard import dashboard, rater_agreement
from .disagreements import GOLD_FILTERS, PAGE_SIZE, SORTS, decode_cursor, default_pair, disagreements, encode_cursor
from .example_detail import example_detail
from .sources import (
    ReviewError,
    Source,
    dataset_splits,
    default_split,
    find_source,
    label_sources,
    latest_evaluation,
)
from .majority import people_majority

__all__ = [
    "GOLD_FILTERS",
    "PAGE_SIZE",
    "SORTS",
    "comparison",
    "newest_evaluation_status",
    "default_pair",
    "ReviewError",
    "Source",
    "dashboard",
    "dataset_splits",
    "decode_cursor",
    "default_split",
    "disagreements",
    "encode_cursor",
    "example_detail",
    "find_source",
    "label_sources",
    "latest_evaluation",
    "people_majority",
    "rater_agreement",
    "run_curves",
]
