from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "ICM Studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import pre_delete

        from studio.services.tallies.accounts import forget_annotator

        # The one model hook: a deleted account's labels go by cascade, past the services (see accounts.py).
        pre_delete.connect(forget_annotator, sender=settings.AUTH_USER_MODEL, dispatch_uid="tallies-forget-annotator")
