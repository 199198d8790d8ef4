"""The one error the annotation service raises: a Refusal whose kind (invalid, forbidden, not_found, conflict)
the view turns into a status."""
from studio.services.refusals import Refusal


class AnnotationError(Refusal, ValueError):
    """A label, skip or undo that was refused; nothing changed."""
