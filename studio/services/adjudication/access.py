"""Who may do what with adjudications: admins open them and read everything; the dataset's reviewers read
the estimate and the sample; adjudicators (a role on the dataset) and admins adjudicate — and an adjudicator
who is not also a reviewer or admin sees only the blind items."""
from studio.models import Adjudication, Dataset, Membership
from studio.services import access
from studio.services.refusals import FORBIDDEN, NOT_FOUND

from .errors import AdjudicationError


def can_adjudicate(user, dataset: Dataset) -> bool:
    return access.is_admin(user) or access.has_role(user, dataset, Membership.Role.ADJUDICATOR)


def adjudicatable(user):
    """Adjudications the user may adjudicate (admins: all)."""
    qs = Adjudication.objects.select_related("dataset")
    if access.is_admin(user):
        return qs
    return qs.filter(dataset__memberships__user=user, dataset__memberships__role=Membership.Role.ADJUDICATOR).distinct()


def require_adjudicator(user, adj: Adjudication) -> None:
    if not can_adjudicate(user, adj.dataset):
        raise AdjudicationError("Only the dataset's adjudicators and admins adjudicate.", kind=FORBIDDEN)


def adjudication_for(user, pk) -> Adjudication:
    """The adjudication an adjudicator works on; the same 'not found' for one they may not see."""
    adj = adjudicatable(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if adj is None:
        raise AdjudicationError(f"No adjudication {pk} is yours to adjudicate.", kind=NOT_FOUND)
    return adj
