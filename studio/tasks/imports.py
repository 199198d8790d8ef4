"""Imports uploaded over the API, on the default queue. Thin: the work is in studio.services.import_jobs."""
from celery import shared_task


@shared_task(name="studio.tasks.imports.run_import", acks_late=True, reject_on_worker_lost=True)
def run_import(job_id: int) -> str:
    from studio.services import import_jobs

    job = import_jobs.run_job(job_id)
    return job.state if job else "skipped"
