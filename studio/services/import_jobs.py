"""Imports uploaded over the API: checked at once (a bad mapping or a taken name is refused before anything
is queued), then run by a Celery task on the default queue. The import itself is all or nothing; the job
row says how it went (state, and for a failure the message with its row and field)."""
import logging

from django.db import transaction
from django.utils import timezone

from studio.models import Dataset, ImportJob
from studio.services import importing, jobs, labelstudio
from studio.services.importing.prompts import check_template
from studio.services.importing.text import check_max_chars
from studio.services.refusals import Refusal

log = logging.getLogger(__name__)
State = ImportJob.State
TASK = "studio.tasks.imports.run_import"  # the default queue (settings route only gpu tasks elsewhere)

# Options each kind of upload takes (everything else is refused, so a typo is not silently ignored).
FILE_OPTIONS = {"mapping", "task_type", "consistency", "split", "prompt_template", "question", "description",
                "display_fields", "true_word", "false_word", "source_credit", "max_chars"}
LABELSTUDIO_OPTIONS = {"true_choice", "from_name", "split", "task_type", "question", "prompt_template",
                       "display_fields", "description"}


class JobRefused(Refusal, ValueError):
    """The upload cannot be imported as asked; `field` names the option at fault."""


def _check(name: str, fmt: str, options: dict) -> None:
    name = (name or "").strip()
    if not name:
        raise JobRefused("a dataset name is required", "name")
    existing = Dataset.objects.filter(name=name).first()
    if existing:
        raise JobRefused(f"a dataset named {name!r} already exists (id {existing.pk})", "name")
    allowed = LABELSTUDIO_OPTIONS if fmt == ImportJob.Format.LABELSTUDIO else FILE_OPTIONS
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise JobRefused(f"unknown option(s) for format {fmt}: {', '.join(unknown)} "
                         f"(allowed: {', '.join(sorted(allowed))})", unknown[0])
    if fmt == ImportJob.Format.LABELSTUDIO:
        return
    if not options.get("mapping"):
        raise JobRefused("a field mapping is required, e.g. {\"id\": \"id\", \"text\": \"review\", \"label\": "
                         "\"label\"}", "mapping")
    try:
        mapping = importing.parse_mapping(options["mapping"])
        if options.get("prompt_template"):
            check_template(options["prompt_template"], list(mapping.fields))
        check_max_chars(options.get("max_chars"))
    except importing.ImportFailed as exc:
        raise JobRefused(exc.message, exc.field or "mapping") from None


class ImportNotQueued(jobs.QueueUnavailable, JobRefused):
    """The job was created but the broker refused its task: the job is failed, the message says so."""


def create_job(user, upload, *, name: str, fmt: str, options: dict) -> ImportJob:
    """Save the upload and queue its import. `upload` is a Django UploadedFile. When the broker is down the
    job is created failed (its upload deleted) and ImportNotQueued says so."""
    options = {k: v for k, v in (options or {}).items() if v not in (None, "")}
    if fmt not in ImportJob.Format.values:
        raise JobRefused(f"unknown format {fmt!r}: expected one of {', '.join(ImportJob.Format.values)}", "format")
    _check(name, fmt, options)
    try:
        with transaction.atomic():
            job = ImportJob(name=name.strip(), fmt=fmt, options=options, created_by=user,
                            original_filename=(upload.name or "")[:255], celery_task_id=jobs.new_task_id())
            job.upload.save(f"{timezone.now():%Y%m%d-%H%M%S}-{upload.name or 'upload'}"[:100], upload, save=False)
            job.save()
            jobs.queue_after_commit(job, TASK, refusal=ImportNotQueued)
    except ImportNotQueued:
        if job.upload:  # the failed job is finished: its upload goes, as after any import
            job.upload.delete(save=True)
        raise
    return job


def run_job(job_id: int) -> ImportJob | None:
    """Import a queued upload (the Celery task calls this). A re-delivered job runs again: a failed attempt
    rolled back everything it wrote."""
    if not jobs.claim(ImportJob, job_id, states=ImportJob.ACTIVE_STATES):
        return None  # already finished (or deleted)
    job = ImportJob.objects.get(pk=job_id)
    try:
        with job.upload.open("rb") as stream:
            if job.fmt == ImportJob.Format.LABELSTUDIO:
                dataset = labelstudio.import_tasks(stream, name=job.name, **job.options)
            else:
                dataset = importing.import_file(stream, name=job.name, fmt=job.fmt, **job.options)
    except importing.ImportFailed as exc:
        jobs.fail(ImportJob, job.pk, str(exc), error_row=exc.row, error_field=exc.field or "")
    except Exception as exc:
        log.exception("import %s failed", job.pk)
        jobs.fail(ImportJob, job.pk, f"the import stopped on an unexpected error: {exc}")
    else:
        count = dataset.import_counts.examples if hasattr(dataset, "import_counts") else dataset.examples.count()
        jobs.finish(ImportJob, job.pk, State.COMPLETED, dataset=dataset, example_count=count)
    job.refresh_from_db()
    if job.upload:
        job.upload.delete(save=True)
    return job
