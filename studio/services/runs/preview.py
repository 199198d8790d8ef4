"""A run as it would start, without starting it: its examples, hyperparameters, batches, coverage and estimate.
start_run starts from exactly this (one planning, never a second copy of it), and the start form and the API
show it before a run is queued."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from studio.models import ElicitationRun
from studio.services import policies
from studio.services.engine_port import DEVICES, ConfigRefused, outbound
from studio.services.engine_port.batches import PlannedBatch

from .configuration import build_config, fingerprint
from .errors import RunRefused
from .estimates import CHARS_PER_TOKEN, BatchShape, Estimate, estimate_run
from .planning import coverage_summary, plan_run
from .subsets import ChosenExamples, choose_examples

MAX_BATCH_SIZE = 100_000
DEFAULT_BATCH_SIZE = 256


@dataclass(frozen=True)
class RunPreview:
    """Everything start_run records, worked out; nothing written."""

    dataset: object
    split: str
    subset: str
    sample_size: int | None
    sample_seed: int | None
    model: str
    backend: str
    device: str
    base_url: str
    batch_size: int
    chosen: ChosenExamples
    config: dict            # ICMConfig.to_dict()
    notes: list[str]        # the studio's defaults, in words
    planned: list[PlannedBatch]
    partition_note: str | None
    coverage: dict          # planning.coverage_summary
    estimate: Estimate
    fingerprint: str

    @property
    def coverage_warning(self) -> str | None:
        return self.coverage["warning"]

    def summary(self) -> dict:
        """What the run's summary starts with."""
        out = {"defaults_applied": self.notes} if self.notes else {}
        out["coverage"] = self.coverage
        if self.partition_note:
            out["partition_warning"] = self.partition_note
        out["estimate"] = self.estimate.to_dict()
        return out


def check_batch_size(batch_size) -> int:
    """The batch size a person gave (a number, or a form's text), or 256 when none."""
    if batch_size is None or (isinstance(batch_size, str) and not batch_size.strip()):
        return DEFAULT_BATCH_SIZE
    if isinstance(batch_size, str) and batch_size.strip().lstrip("-").isdigit() and len(batch_size) < 20:
        batch_size = int(batch_size)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise RunRefused(f"batch_size: a whole number of examples from 1 to {MAX_BATCH_SIZE}, got {batch_size!r}",
                         "batch_size")
    return batch_size


def check_backend(model: str, backend: str, device: str, base_url: str) -> str:
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


def preview_run(dataset, *, user, split: str = "", subset: str = "all", sample_size: int | None = None,
                sample_seed: int | None = None, model: str | None = None, backend: str = "hf",
                device: str = "auto", base_url: str = "", config: dict | None = None,
                batch_size: int | str | None = None, example_ids: list[int] | None = None) -> RunPreview:
    """The run start_run would create with these values (same checks, same refusals, naming the field), with
    its coverage and estimated duration. Writes nothing; does not look for a duplicate active run."""
    if user is not None and not policies.runs.can_start(user, dataset):
        raise RunRefused("only admins start runs", kind="forbidden")
    model = (model or settings.STUDIO_MODEL).strip()
    split = split or ""
    base_url = (base_url or "").strip()
    model = check_backend(model, backend, device, base_url)
    if subset != ElicitationRun.Subset.SAMPLE:
        sample_size = sample_seed = None
    elif sample_seed is None:
        sample_seed = 0
    batch_size = check_batch_size(batch_size)
    chosen = choose_examples(dataset, split=split, subset=subset, sample_size=sample_size, sample_seed=sample_seed,
                             example_ids=example_ids)
    run_config, notes = build_config(dataset=dataset, model=model, backend=backend, device=device,
                                     user_config=config, example_count=min(len(chosen.ids), batch_size))
    planned, partition_note = plan_run(dataset, chosen.ids, batch_size=batch_size, seed=run_config["seed"],
                                       iterations=run_config["iterations"],
                                       initial_labels=run_config["initial_labels"])
    estimate = estimate_run(_shapes(planned, dataset.consistency), run_config, model=model, backend=backend, device=device,
                            base_url=base_url)
    fp = fingerprint(dataset=dataset.pk, split=split, subset=subset, sample_size=sample_size,
                     sample_seed=sample_seed, model=model, backend=backend, device=device, base_url=base_url,
                     config=run_config, batch_size=batch_size,
                     **({"example_ids": chosen.ids} if subset == ElicitationRun.Subset.IDS else {}))
    return RunPreview(dataset=dataset, split=split, subset=subset, sample_size=sample_size, sample_seed=sample_seed,
                      model=model, backend=backend, device=device, base_url=base_url, batch_size=batch_size,
                      chosen=chosen, config=run_config, notes=notes, planned=planned, partition_note=partition_note,
                      coverage=coverage_summary(planned, fill=run_config["fill"]), estimate=estimate, fingerprint=fp)


def _shapes(planned: list[PlannedBatch], consistency: str = "none") -> list[BatchShape]:
    """Each batch's size, mean prompt length in tokens (characters / 4) and examples expected never drawn."""
    return [BatchShape(examples=len(b.example_ids),
                       prompt_tokens=b.prompt_chars / len(b.example_ids) / CHARS_PER_TOKEN if b.example_ids else 0.0,
                       expected_unvisited=float(b.coverage.get("expected_unvisited") or 0.0),
                       consistency_groups=consistency != "none" and b.groups < len(b.example_ids))
            for b in planned]
