"""The studies' one error: a Refusal naming the field at fault."""
from studio.services.refusals import Refusal


class StudyRefused(Refusal, ValueError):
    """Creating a study or starting one of its steps was refused; the message says why, nothing was written."""
