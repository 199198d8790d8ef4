"""Adjudications: admins open them; the dataset's reviewers (and admins) read the estimate and the sample;
adjudicators adjudicate blind (studio.services.adjudication.access)."""
from studio.services import access

from .resources import Policy


class AdjudicationPolicy(Policy):
    name = "adjudications"

    def can_view(self, user, adjudication) -> bool:
        return access.can_review(user, adjudication.dataset)

    def can_open(self, user, dataset=None) -> bool:
        return access.is_admin(user)
