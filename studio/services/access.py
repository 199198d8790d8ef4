"""Who may see and do what. Studio admins (superusers and the "Studio admins" group) administer everything;
everyone else works through Memberships. `is_staff` is not a role here: it only opens Django's admin site.
The per-resource rules built on these are in studio.services.policies."""
from django.db.models import QuerySet

from studio.models import Dataset, Membership

STUDIO_ADMINS_GROUP = "Studio admins"


def is_admin(user) -> bool:
    """A studio admin: an active superuser, or an active member of the "Studio admins" group."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_studio_admin", None)
    if cached is None:  # once per request's user object
        cached = user._studio_admin = user.groups.filter(name=STUDIO_ADMINS_GROUP).exists()
    return cached


def has_role(user, dataset: Dataset, role: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(user=user, dataset=dataset, role=role).exists()


def can_annotate(user, dataset: Dataset) -> bool:
    return has_role(user, dataset, Membership.Role.ANNOTATOR)


def can_review(user, dataset: Dataset) -> bool:
    """Reviewers and admins see review pages (gold, model labels, everyone's labels)."""
    return is_admin(user) or has_role(user, dataset, Membership.Role.REVIEWER)


def visible_datasets(user) -> QuerySet[Dataset]:
    if not (user and user.is_authenticated):
        return Dataset.objects.none()
    if is_admin(user):
        return Dataset.objects.all()
    return Dataset.objects.filter(memberships__user=user).distinct()


def datasets_with_role(user, role: str) -> QuerySet[Dataset]:
    if not (user and user.is_authenticated):
        return Dataset.objects.none()
    return Dataset.objects.filter(memberships__user=user, memberships__role=role).distinct()


def reviewable_datasets(user) -> QuerySet[Dataset]:
    if is_admin(user):
        return Dataset.objects.all()
    return datasets_with_role(user, Membership.Role.REVIEWER)


def annotatable_datasets(user) -> QuerySet[Dataset]:
    return datasets_with_role(user, Membership.Role.ANNOTATOR)
