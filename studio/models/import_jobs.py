"""A file uploaded over the API, imported into a new dataset by a background job (Celery, default queue)."""
from django.conf import settings
from django.db import models

from .jobs import Job


class ImportJob(Job):
    # state, created_at, started_at, finished_at, celery_task_id, error, attempts: see Job.
    class Format(models.TextChoices):
        JSON = "json", "JSON array"
        JSONL = "jsonl", "JSON lines"
        CSV = "csv", "CSV"
        TSV = "tsv", "TSV"
        LABELSTUDIO = "labelstudio", "Label Studio JSON export"

    name = models.CharField(max_length=200, help_text="Name of the dataset to create.")
    fmt = models.CharField(max_length=20, choices=Format.choices)
    upload = models.FileField(upload_to="imports/", blank=True, help_text="Deleted once the job has finished.")
    original_filename = models.CharField(max_length=255, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="Field mapping and dataset settings.")

    error_row = models.PositiveIntegerField(null=True, blank=True)
    error_field = models.CharField(max_length=200, blank=True)
    dataset = models.ForeignKey(
        "studio.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    example_count = models.PositiveIntegerField(default=0)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )

    class Meta(Job.Meta):
        pass

    def __str__(self) -> str:
        return f"Import {self.pk} '{self.name}' ({self.state})"
