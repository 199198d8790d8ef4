"""Starting and cancelling runs: what the admin, the studio's start page and the API call."""
from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from studio.models import ElicitationRun, RunBatch
from studio.services import jobs, policies
from studio.services.engine_port import DEVICES
from studio.services.engine_port import ConfigRefused, outbound

from .configuration import build_config, fingerprint
from .errors import RunRefused
from .planning import coverage_summary, plan_run
from .subsets import choose_examples

TASK = "studio.tasks.elicitation.run_batch"  # one per batch; routed to the gpu queue by name (settings)
MAX_BATCH_SIZE = 100_000


class RunNotQueued(jobs.QueueUnavailable, RunRefused):
    """The run was created but the broker refused its task: the run is failed, the message says so."""


def _check_backend(model: str, backend: str, device: str, base_url: str) -> str:
    """Refuse a bad backend choice; return the model to store (a model path made absolute)."""
    if not model.strip():
        raise RunRefused("model: give the bundled model's name (smollm2), a local path or a model name")
    if len(model) > 300 or len(base_url) > 500:
        field = "model" if len(model) > 300 else "base_url"
        raise RunRefused(f"{field}: too long (at most {300 if field == 'model' else 500} characters)", field)
    if backend not in ElicitationRun.Backend.values:
        raise RunRefused(f"backend {backend!r} is not one of {', '.join(ElicitationRun.Backend.values)}")
    if device not in DEVICES:
        raise RunRefused(f"device {device!r} is not one of {', '.join(DEVICES)}")
    if backend == ElicitationRun.Backend.OPENAI:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise RunRefused(f"base_url: the OpenAI-compatible backend needs an http(s) URL, got {base_url[:200]!r}")
        _as_run_refusal(outbound.check_base_url, base_url)  # on STUDIO_BACKEND_HOSTS, no credentials in it
        return model
    elif base_url:
        raise RunRefused(f"base_url is only used by the OpenAI-compatible backend, not {backend!r}")
    if backend == ElicitationRun.Backend.VLLM and device == "cpu":
        raise RunRefused("device: the vllm backend runs on GPU workers only (device cuda or auto)")
    return _as_run_refusal(outbound.check_model, model)


def _as_run_refusal(check, value):
    try:
        return check(value)
    except ConfigRefused as refusal:
        raise RunRefused(refusal.message, refusal.field) from None


def _active_duplicate(fp: str) -> ElicitationRun | None:
    return ElicitationRun.objects.filter(fingerprint=fp, state__in=ElicitationRun.ACTIVE_STATES).first()


def _duplicate_message(run: ElicitationRun) -> str:
    return (f"Run #{run.pk} with this configuration is already {run.state} on {run.dataset.name}; "
            "wait for it, cancel it, or change a setting (a different seed, say).")


def start_run(dataset, *, user, split: str = "", subset: str = "all", sample_size: int | None = None,
              sample_seed: int | None = None, model: str | None = None, backend: str = "hf",
              device: str = "auto", base_url: str = "", config: dict | None = None,
              batch_size: int | None = None) -> ElicitationRun:
    """Create a pending run, cut into batches of whole consistency groups (batch_size examples, default 256),
    and queue one task per batch. Refuses (RunRefused, nothing created) bad values and a second
    start of a configuration that is already pending or running on this dataset. When the broker is down the
    run is created failed and RunNotQueued (a RunRefused of kind "unavailable") says so."""
    if user is not None and not policies.runs.can_start(user, dataset):
        raise RunRefused("only admins start runs", kind="forbidden")
    model = (model or settings.STUDIO_MODEL).strip()
    split = split or ""
    base_url = (base_url or "").strip()
    model = _check_backend(model, backend, device, base_url)
    if subset != ElicitationRun.Subset.SAMPLE:
        sample_size = sample_seed = None
    elif sample_seed is None:
        sample_seed = 0
    batch_size = check_batch_size(batch_size)
    chosen = choose_examples(dataset, split=split, subset=subset, sample_size=sample_size, sample_seed=sample_seed)
    example_ids = chosen.ids
    run_config, notes = build_config(dataset=dataset, model=model, backend=backend, device=device,
                                     user_config=config, example_count=min(len(example_ids), batch_size))
    planned, partition_note = plan_run(dataset, example_ids, batch_size=batch_size, seed=run_config["seed"],
                                       iterations=run_config["iterations"])
    fp = fingerprint(dataset=dataset.pk, split=split, subset=subset, sample_size=sample_size,
                     sample_seed=sample_seed, model=model, backend=backend, device=device, base_url=base_url,
                     config=run_config, batch_size=batch_size)
    existing = _active_duplicate(fp)
    if existing:
        raise RunRefused(_duplicate_message(existing))
    summary = {"defaults_applied": notes} if notes else {}
    summary["coverage"] = coverage_summary(planned, fill=run_config["fill"])
    if partition_note:
        summary["partition_warning"] = partition_note
    try:
        with transaction.atomic():
            run = ElicitationRun.objects.create(
                dataset=dataset, split=split, subset=subset, sample_size=sample_size, sample_seed=sample_seed,
                model=model, backend=backend, device=device, base_url=base_url, config=run_config,
                fingerprint=fp, uses_gold_derived_metadata=dataset.gold_derived_metadata,
                example_ids=example_ids, example_count=len(example_ids), subset_groups=chosen.groups,
                subset_note=chosen.note, batch_size=batch_size,
                created_by=user if user is not None and user.is_authenticated else None, summary=summary,
            )
            batches = RunBatch.objects.bulk_create([
                RunBatch(run=run, index=b.index, example_ids=b.example_ids, example_count=len(b.example_ids),
                         groups=b.groups, seed=b.seed, oversized=b.oversized, celery_task_id=jobs.new_task_id(),
                         summary={"coverage": b.coverage})
                for b in planned])
            transaction.on_commit(lambda: _queue_batches(run, batches))
    except IntegrityError:
        # Two starts raced past the check above: the partial unique index let only one through.
        existing = _active_duplicate(fp)
        if existing:
            raise RunRefused(_duplicate_message(existing)) from None
        raise
    return run


def check_batch_size(batch_size) -> int:
    if batch_size is None or batch_size == "":
        return 256
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise RunRefused(f"batch_size: a whole number of examples from 1 to {MAX_BATCH_SIZE}, got {batch_size!r}",
                         "batch_size")
    return batch_size


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
