"""ICM engine: elicit labels from a language model without supervision, by Internal Coherence Maximization
(Wen et al. 2025, arXiv 2506.10139). Pure Python; no Django.

    from elicitation import Example, Problem, ICMConfig, run_icm, load_backend
    backend = load_backend("smollm2")
    result = run_icm(Problem([Example("a", "..."), ...]), ICMConfig(calibrate="center"), backend)
"""
from . import baselines
from .backends import Backend, BatchScores, LabelLogprobs, load_backend
from .config import ICMConfig
from .errors import BackendError, ContextLengthError, ElicitationError, InputError
from .problem import Example, Problem
from .result import ICMResult
from .scoring import SCORERS, Scorer, register_scorer
from .search import run_icm
from .state import SearchState

__all__ = [
    "Backend", "BackendError", "BatchScores", "ContextLengthError", "ElicitationError", "Example", "ICMConfig",
    "ICMResult", "InputError", "LabelLogprobs", "Problem", "SCORERS", "Scorer", "SearchState", "baselines",
    "load_backend", "register_scorer", "run_icm",
]
