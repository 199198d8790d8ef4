"""The paper's comparison: test-split accuracy of the model prompted many-shot with train-split
demonstrations labeled by each source (zero-shot, random, gold, people, each ICM run)."""
from django.db import models

from .jobs import Job


class Evaluation(Job):
    # state, created_by, created_at, started_at, finished_at, celery_task_id, error, attempts: see Job.
    dataset = models.ForeignKey("studio.Dataset", on_delete=models.CASCADE, related_name="evaluations")
    config = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=dict, blank=True)

    class Meta(Job.Meta):
        pass

    def __str__(self) -> str:
        return f"Evaluation {self.pk} of {self.dataset} ({self.state})"
