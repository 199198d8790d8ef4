"""Aggregates kept exact on write: per example its vote counts (columns on Example), per dataset and split the
cells the review dashboard and the labeling page read (studio.models.Tally). One label changes them
incrementally, in the label's transaction (`keeping`); bulk events (an import, a finished run, a deleted
account's labels) recount the dataset (`rebuild`). `recount` compares what is stored with a count from
scratch (the `recount_tallies` command)."""
from .cells import Cell, Kind
from .cells import qualifying_minimum
from .keeping import annotator_lock, keeping, share_lock
from .reading import split_cells, vote_rows
from .recount import Difference, check, rebuild
from .twins import chosen_order, has_twins, pair_ids, twin_id, twins_sql, with_twin

__all__ = ["Cell", "Difference", "Kind", "annotator_lock", "qualifying_minimum", "chosen_order", "check", "has_twins", "keeping", "pair_ids", "rebuild",
           "share_lock", "split_cells", "twin_id", "twins_sql", "vote_rows", "with_twin"]
