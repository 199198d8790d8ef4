"""The policy classes. A policy never speaks HTTP: `require` raises a Refusal of kind "forbidden"."""
from studio.services import access
from studio.services.refusals import FORBIDDEN, Refusal


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Refusal(message, kind=FORBIDDEN)


class Policy:
    """The default for a resource: admins administer it (the Django admin asks `can_administer`)."""

    name = "resource"

    def can_administer(self, user) -> bool:
        return access.is_admin(user)

    def can_write(self, user) -> bool:
        """Create, change or delete (the API's writes; the admin's add/change/delete)."""
        return self.can_administer(user)


class DatasetPolicy(Policy):
    name = "datasets"

    def can_view(self, user, dataset) -> bool:
        return access.visible_datasets(user).filter(pk=dataset.pk).exists()

    def can_review(self, user, dataset) -> bool:
        return access.can_review(user, dataset)


class RunPolicy(Policy):
    name = "runs"

    def can_view(self, user, run) -> bool:
        return access.can_review(user, run.dataset)

    def can_start(self, user, dataset=None) -> bool:
        return access.is_admin(user)

    def can_cancel(self, user, run=None) -> bool:
        return access.is_admin(user)


class EvaluationPolicy(Policy):
    name = "evaluations"

    def can_start(self, user, dataset=None) -> bool:
        return access.is_admin(user)


class ImportPolicy(Policy):
    name = "imports"

    def can_import(self, user) -> bool:
        return access.is_admin(user)


class ExportPolicy(Policy):
    name = "exports"

    def can_export_gold(self, user, dataset=None) -> bool:
        return access.is_admin(user)

    def can_export_labels(self, user, dataset) -> bool:
        """People's labels, a run's labels and the Label Studio config: the dataset's reviewers and admins."""
        return access.can_review(user, dataset)


class StudyPolicy(Policy):
    """A study shows people's accuracy against gold and the runs' labels: its dataset's reviewers read it;
    admins create, change and start its steps."""

    name = "studies"

    def can_view(self, user, study) -> bool:
        return access.can_review(user, study.dataset)

    def can_start(self, user, study=None) -> bool:
        return access.is_admin(user)
