"""Scoring modes by name. A new mode subclasses Scorer and calls register_scorer; ICMConfig.scoring then
accepts its name, and the search uses it without change."""
from __future__ import annotations

from .base import DEFAULT_CACHE_SIZE, Scorer, ScoreCache
from .exact import ExactScorer

SCORERS: dict[str, type[Scorer]] = {"exact": ExactScorer}


def register_scorer(cls: type[Scorer]) -> type[Scorer]:
    SCORERS[cls.mode] = cls
    return cls


def make_scorer(problem, backend, config, **options) -> Scorer:
    """The scorer ICMConfig.scoring names, for this problem and backend."""
    return SCORERS[config.scoring].from_config(problem, backend, config, **options)


__all__ = ["DEFAULT_CACHE_SIZE", "ExactScorer", "SCORERS", "ScoreCache", "Scorer", "make_scorer", "register_scorer"]
