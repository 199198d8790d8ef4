"""The Celery app. Elicitation and evaluation tasks go to the `gpu` queue, everything else to `default`."""
import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["studio"], related_name="tasks")


def _ensure_filesystem_broker_folders() -> None:
    """The serverless broker (no REDIS_URL) keeps messages in folders that must exist."""
    options = app.conf.broker_transport_options or {}
    if str(app.conf.broker_url).startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


_ensure_filesystem_broker_folders()
