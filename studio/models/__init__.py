"""The studio's tables. One module per idea; import from `studio.models`."""
from .datasets import Dataset, Example, GoldLabel
from .evaluations import Evaluation
from .labels import AnnotationClaim, HumanLabel, Skip
from .membership import Membership
from .runs import ElicitationRun, ElicitedLabel, RunEvent

__all__ = [
    "AnnotationClaim",
    "Dataset",
    "ElicitationRun",
    "ElicitedLabel",
    "Evaluation",
    "Example",
    "GoldLabel",
    "HumanLabel",
    "Membership",
    "RunEvent",
    "Skip",
]
