"""The paper's comparison: test-split accuracy of the model prompted many-shot with train-split
demonstrations labeled by each source (zero-shot, random, gold, people, each ICM run)."""
from django.conf import settings
from django.db import models


class Evaluation(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    dataset = models.ForeignKey("studio.Dataset", on_delete=models.CASCADE, related_name="evaluations")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    config = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    celery_task_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
