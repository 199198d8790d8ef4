"""Scoring modes by name. A new mode subclasses Scorer and calls register_scorer; ICMConfig.scoring then
accepts its name, and the search uses it without change."""
from __future__ import annotations

from .base import DEFAULT_CACHE_SIZE, Scorer, ScoreCache
from .blocks import BlocksScorer
from .exact import ExactScorer
from .exact_subset import ExactSubsetScorer
from .folds import FoldsScorer

# A run on a CPU over this many examples scores by folds unless its config names a mode (exact is O(n²) tokens).
CPU_EXACT_LIMIT = 32

# exact: the paper's leave-one-out; folds / blocks: the fast approximations (measured by benchmarks/score_cost.py)
SCORERS: dict[str, type[Scorer]] = {"exact": ExactScorer, "folds": FoldsScorer, "blocks": BlocksScorer}


def register_scorer(cls: type[Scorer]) -> type[Scorer]:
    SCORERS[cls.mode] = cls
    return cls


def make_scorer(problem, backend, config, **options) -> Scorer:
    """The scorer ICMConfig.scoring names, for this problem and backend."""
    if config.scoring == "exact" and config.max_demos is not None:
        return ExactSubsetScorer.from_config(problem, backend, config, **options)
    return SCORERS[config.scoring].from_config(problem, backend, config, **options)


__all__ = ["CPU_EXACT_LIMIT", "DEFAULT_CACHE_SIZE", "ExactScorer", "SCORERS", "ScoreCache", "Scorer", "make_scorer", "register_scorer"]
