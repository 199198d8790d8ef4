"""The Celery app. Elicitation and evaluation tasks go to the `gpu` queue, everything else to `default`."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["studio"], related_name="tasks")
