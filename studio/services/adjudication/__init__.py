"""Blind expert adjudication of where two label sources disagree: an exact estimate of which is more accurate,
without gold. `estimate` and `sampling` are pure statistics (no Django); `opening` draws and records a sample,
`queue` hands items to adjudicators and records their answers, `results` reads the live estimate."""
from .access import adjudicatable, adjudication_for, can_adjudicate, require_adjudicator
from .errors import AdjudicationError
from .opening import DEFAULTS, MAX_BUDGET, OPTIONS, default_sources, open_adjudication
from .queue import next_item, progress, record, skip
from .results import CSV_COLUMNS, dashboard_rows, describe, result, sample_rows

__all__ = ["AdjudicationError", "CSV_COLUMNS", "DEFAULTS", "MAX_BUDGET", "OPTIONS", "adjudicatable",
           "adjudication_for", "can_adjudicate", "dashboard_rows", "default_sources", "describe", "next_item", "open_adjudication",
           "progress", "record", "require_adjudicator", "result", "sample_rows", "skip"]
