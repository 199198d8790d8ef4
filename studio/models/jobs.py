"""The lifecycle every background job shares (runs, evaluations, imports): pending → running → completed /
failed / canceled, who started it and when, its Celery task id, its error, and how many deliveries it took.

The state changes themselves live in studio.services.jobs (queue after commit, claim, fail, cancel)."""
from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class Job(models.Model):
    State = JobState
    ACTIVE_STATES = (JobState.PENDING, JobState.RUNNING)
    FINISHED_STATES = (JobState.COMPLETED, JobState.FAILED, JobState.CANCELED)

    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.PENDING, db_index=True)
    # Subclasses may redeclare created_by to give it their own related_name.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    celery_task_id = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Deliveries of the task (a re-delivery resumes).")
    # The lease (studio.services.jobs.lease): which worker process holds the job, and when it last said it is alive.
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker that ran it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED_STATES
