from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, pre_delete


def create_studio_admins_group(sender, using="default", **kwargs) -> None:
    """The "Studio admins" group exists once the database is migrated, so a superuser can add people to it
    (membership is what makes a non-superuser a studio admin; see studio.services.access)."""
    from django.contrib.auth.models import Group

    from studio.services.access import STUDIO_ADMINS_GROUP

    Group.objects.using(using).get_or_create(name=STUDIO_ADMINS_GROUP)


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "ICM Studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from studio.services.tallies.accounts import forget_annotator

        post_migrate.connect(create_studio_admins_group, sender=self)
        # The one model hook: a deleted account's labels go by cascade, past the services (see accounts.py).
        pre_delete.connect(forget_annotator, sender=settings.AUTH_USER_MODEL, dispatch_uid="tallies-forget-annotator")
