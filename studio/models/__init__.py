"""The studio's tables. One module per idea; import from `studio.models`."""
from .adjudications import Adjudication, AdjudicationItem, AdjudicationSkip
from .api_tokens import ApiToken
from .datasets import Dataset, Example, GoldLabel
from .evaluations import Evaluation
from .import_jobs import ImportJob
from .labels import AnnotationClaim, HumanLabel, Skip
from .membership import Membership
from .runs import ElicitationRun, ElicitedLabel, RunBatch, RunEvent
from .studies import Study, StudyItem, StudyTally
from .tallies import Tally

__all__ = [
    "Adjudication",
    "AdjudicationItem",
    "AdjudicationSkip",
    "ApiToken",
    "AnnotationClaim",
    "Dataset",
    "ElicitationRun",
    "ElicitedLabel",
    "Evaluation",
    "Example",
    "GoldLabel",
    "HumanLabel",
    "ImportJob",
    "Membership",
    "RunBatch",
    "RunEvent",
    "Skip",
    "Study",
    "StudyItem",
    "StudyTally",
    "Tally",
]
