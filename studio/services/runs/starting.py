"""Starting and cancelling runs: what the admin, the studio's start page and the API call."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from studio.models import ElicitationRun, RunBatch
from studio.services import jobs, policies

from .errors import RunRefused
from .estimates import duration_words
from .preview import MAX_BATCH_SIZE, RunPreview, check_batch_size, preview_run  # noqa: F401 (re-exported)

TASK = "studio.tasks.elicitation.run_batch"  # one per batch; routed to the gpu queue by name (settings)


class RunNotQueued(jobs.QueueUnavailable, RunRefused):
    """The run was created but the broker refused its task: the run is failed, the message says so."""


class RunNeedsConfirmation(RunRefused):
    """The run's estimated duration is above settings.STUDIO_CONFIRM_RUN_SECONDS and the person starting it has
    not confirmed it: nothing was created. `.preview` holds the estimate and the coverage to show them."""

    def __init__(self, preview: RunPreview):
        estimate = preview.estimate
        limit = duration_words(estimate.limit_seconds)
        message = (f"This run would take {estimate.text}. That is more than {limit} "
                   "(STUDIO_CONFIRM_RUN_SECONDS): confirm to start it.")
        super().__init__(message, "confirm", kind="conflict")
        self.preview = preview
        self.extra = {"estimate": estimate.to_dict(), "coverage_warning": preview.coverage_warning}


def _active_duplicate(fp: str) -> ElicitationRun | None:
    return ElicitationRun.objects.filter(fingerprint=fp, state__in=ElicitationRun.ACTIVE_STATES).first()


def _duplicate_message(run: ElicitationRun) -> str:
    return (f"Run #{run.pk} with this configuration is already {run.state} on {run.dataset.name}; "
            "wait for it, cancel it, or change a setting (a different seed, say).")


def start_run(dataset, *, user, split: str = "", subset: str = "all", sample_size: int | None = None,
              sample_seed: int | None = None, model: str | None = None, backend: str = "hf",
              device: str = "auto", base_url: str = "", config: dict | None = None,
              batch_size: int | str | None = None, confirmed: bool = True,
              example_ids: list[int] | None = None) -> ElicitationRun:
    """Create a pending run, cut into batches of whole consistency groups (batch_size examples, default 256),
    and queue one task per batch. Refuses (RunRefused, nothing created) bad values and a second
    start of a configuration that is already pending or running on this dataset. When the broker is down the
    run is created failed and RunNotQueued (a RunRefused of kind "unavailable") says so.

    confirmed: whether the person starting it accepted its estimated duration. The form and the API pass what
    the person said; a run estimated above settings.STUDIO_CONFIRM_RUN_SECONDS that is not confirmed is refused
    with RunNeedsConfirmation (carrying the preview: estimate and coverage). Other callers start at once.

    subset "ids" with example_ids: exactly those examples (whole groups, inside the split): a study's ICM pool."""
    preview = preview_run(dataset, user=user, split=split, subset=subset, sample_size=sample_size,
                          sample_seed=sample_seed, model=model, backend=backend, device=device, base_url=base_url,
                          config=config, batch_size=batch_size, example_ids=example_ids)
    existing = _active_duplicate(preview.fingerprint)
    if existing:
        raise RunRefused(_duplicate_message(existing))
    if not confirmed and preview.estimate.needs_confirmation:
        raise RunNeedsConfirmation(preview)
    return _create(preview, user)


def _create(p: RunPreview, user) -> ElicitationRun:
    try:
        with transaction.atomic():
            run = ElicitationRun.objects.create(
                dataset=p.dataset, split=p.split, subset=p.subset, sample_size=p.sample_size,
                sample_seed=p.sample_seed, model=p.model, backend=p.backend, device=p.device, base_url=p.base_url,
                config=p.config, fingerprint=p.fingerprint, uses_gold_derived_metadata=p.dataset.gold_derived_metadata,
                example_ids=p.chosen.ids, example_count=len(p.chosen.ids), subset_groups=p.chosen.groups,
                subset_note=p.chosen.note, batch_size=p.batch_size,
                created_by=user if user is not None and user.is_authenticated else None, summary=p.summary(),
            )
            batches = RunBatch.objects.bulk_create([
                RunBatch(run=run, index=b.index, example_ids=b.example_ids, example_count=len(b.example_ids),
                         groups=b.groups, seed=b.seed, oversized=b.oversized, celery_task_id=jobs.new_task_id(),
                         summary={"coverage": b.coverage})
                for b in p.planned])
            transaction.on_commit(lambda: _queue_batches(run, batches))
    except IntegrityError:
        # Two starts raced past the check above: the partial unique index let only one through.
        existing = _active_duplicate(p.fingerprint)
        if existing:
            raise RunRefused(_duplicate_message(existing)) from None
        raise
    return run


def _queue_batches(run: ElicitationRun, batches: list[RunBatch]) -> None:
    """Publish every batch's task; if the broker refuses one, the run and its unqueued batches are failed and
    RunNotQueued says so (the batches already queued find the run failed and stop at once)."""
    for batch in batches:
        try:
            jobs.send(TASK, batch.pk, batch.celery_task_id)
        except Exception as exc:
            reason = jobs.unreachable_reason("run", exc)
            jobs.fail(ElicitationRun, run.pk, reason, cancel_requested=True)
            RunBatch.objects.filter(run=run, state=RunBatch.State.PENDING).update(
                state=RunBatch.State.FAILED, error=reason, phase=RunBatch.Phase.DONE)
            run.refresh_from_db()
            raise RunNotQueued(f"{reason}. Run #{run.pk} was marked failed; start it again once the broker is "
                               "back.", job_id=run.pk) from None


def cancel_run(run: ElicitationRun, *, user) -> ElicitationRun:
    """Ask a run to stop. A pending run is canceled at once; a running one stops at its worker's next
    iteration and keeps its labels so far and its checkpoint."""
    if user is not None and not policies.runs.can_cancel(user, run):
        raise RunRefused("only admins cancel runs", kind="forbidden")
    who = user.get_username() if user is not None and user.is_authenticated else ""
    with transaction.atomic():
        locked = ElicitationRun.objects.select_for_update().get(pk=run.pk)
        if locked.state in ElicitationRun.FINISHED_STATES:
            raise RunRefused(f"Run #{locked.pk} has already {locked.state}; there is nothing to cancel.",
                             kind="conflict")
        locked.cancel_requested = True
        locked.summary = {**locked.summary, "canceled_by": who}
        # Batches still waiting end at once; running ones stop at their worker's next iteration; the run ends
        # when the last of them has (at once when none was running).
        now = timezone.now()
        locked.batches.filter(state=RunBatch.State.PENDING).update(
            state=RunBatch.State.CANCELED, finished_at=now, phase=RunBatch.Phase.DONE)
        fields = ["cancel_requested", "summary"]
        if not locked.batches.filter(state=RunBatch.State.RUNNING).exists():
            locked.state, locked.finished_at = ElicitationRun.State.CANCELED, now
            fields += ["state", "finished_at"]
        locked.save(update_fields=fields)
    run.refresh_from_db()
    return run
