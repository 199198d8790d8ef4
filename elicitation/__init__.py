"""ICM engine: elicit labels from a language model without supervision, by Internal Coherence Maximization
(Wen et al. 2025, arXiv 2506.10139). Pure Python; no Django.

    from elicitation import Example, Problem, ICMConfig, run_icm, load_backend
    backend = load_backend("smollm2")
    result = run_icm(Problem([Example("a", "..."), ...]), ICMConfig(calibrate="center"), backend)
"""
from . import baselines
from .backends import Backend, BatchScores, LabelLogprobs, load_backend
from .batches import Partition, batch_problem, batch_seed, partition
from .config import ICMConfig
from .coverage import Coverage, coverage, iterations_for_coverage
from .errors import BackendError, ContextLengthError, ElicitationError, InputError
from .fingerprint import CheckpointWarning
from .problem import Example, Problem
from .result import ICMResult
from .scoring import SCORERS, Scorer, register_scorer
from .search import run_icm
from .state import SearchState

__all__ = [
    "Backend", "BackendError", "BatchScores", "CheckpointWarning", "ContextLengthError", "Coverage",
    "ElicitationError", "Example", "ICMConfig", "ICMResult", "InputError", "LabelLogprobs", "Partition", "Problem",
    "SCORERS", "Scorer", "SearchState", "baselines", "batch_problem", "batch_seed", "coverage",
    "iterations_for_coverage", "load_backend", "partition", "register_scorer", "run_icm",
]
