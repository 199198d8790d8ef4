"""The one error the evaluation service raises."""
from studio.services.refusals import Refusal


class EvaluationRefused(Refusal, ValueError):
    """The evaluation cannot start; the message names the field or the missing data."""
