"""The adjudication's refusal: the studio's one Refusal, naming the input at fault."""
from studio.services.refusals import Refusal


class AdjudicationError(Refusal, ValueError):
    """Bad adjudication input (budget, sources, split, label) or a state that forbids it; the message says which."""
