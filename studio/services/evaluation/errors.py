"""The one error the evaluation service raises."""


class EvaluationRefused(ValueError):
    """The evaluation cannot start; the message names the field or the missing data."""
