"""The worker process's loaded model, shared by runs and evaluations.

A worker loads a model once and keeps it for later work with the same model, backend and device. It keeps
one model at a time: a GPU holds one large model, and work on another model first CLOSES the previous one
(`backend.close()`: a vLLM engine is shut down and its GPU memory freed; dropping the reference is not enough).

vLLM engines get their limits from the work and the settings: `max_model_len` = STUDIO_VLLM_MAX_MODEL_LEN when
set, else what the work asks for (a run: its longest prompt, engine_port.work.model_len_for); an engine loaded
with less than a later run needs is replaced. `gpu_memory_utilization` = STUDIO_VLLM_GPU_MEMORY_UTILIZATION.
"""
from __future__ import annotations

import logging
import threading

from elicitation.models import BUNDLED  # light: no torch
from elicitation.scoring.folds import folds_for_context  # noqa: F401  (the runs' fold count asks it here)

log = logging.getLogger(__name__)

_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def is_bundled(model: str) -> bool:
    return model in BUNDLED


def context_window_of(model: str) -> int | None:
    """A model's context window before it is loaded, where the studio knows it: the bundled model's, or a vLLM
    deployment's fixed STUDIO_VLLM_MAX_MODEL_LEN; else None."""
    from django.conf import settings

    if model in BUNDLED:
        return BUNDLED[model].context_window
    return getattr(settings, "STUDIO_VLLM_MAX_MODEL_LEN", None)


def release_all() -> None:
    """Close and forget every loaded model (before loading another: GPU memory)."""
    while _models:
        _, backend = _models.popitem()
        close = getattr(backend, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # noqa: BLE001 - a failed shutdown must not keep the next model from loading
                log.exception("closing the previous model failed")


def vllm_options(max_model_len: int | None) -> dict:
    from django.conf import settings

    fixed = getattr(settings, "STUDIO_VLLM_MAX_MODEL_LEN", None)
    return {"max_model_len": fixed or max_model_len,
            "gpu_memory_utilization": getattr(settings, "STUDIO_VLLM_GPU_MEMORY_UTILIZATION", None)}


def get_backend(*, model: str, kind: str, device: str, base_url: str | None = None,
                max_model_len: int | None = None) -> tuple[object, bool]:
    """(backend, reused): the process's loaded model when it matches, else a fresh load replacing it.
    max_model_len: the context the work needs (vLLM only; a loaded engine with less is replaced)."""
    key = (model, kind, device, base_url or "")
    with _models_lock:
        held = _models.get(key)
        if held is not None and not _too_short(held, kind, max_model_len):
            return held, True
        release_all()  # close the previous model before loading the next (GPU memory)
        from elicitation import load_backend

        from .outbound import allowed_hosts, check_base_url, check_model

        # Again here, in the worker: a run queued before a setting changed, or an evaluation's options.
        options = {}
        if kind != "openai":  # an OpenAI-compatible server's model is its own name, not a path here
            model = check_model(model)
        else:
            check_base_url(base_url or "")
            options["allowed_hosts"] = allowed_hosts()  # the client checks every request's host too
        if kind == "vllm":
            options.update(vllm_options(max_model_len))
        log.info("loading model %s (%s on %s)", model, kind, device)
        try:
            backend = load_backend(model=model, kind=kind, device=device, base_url=base_url or None, **options)
        except Exception as exc:
            if kind == "openai" or is_bundled(model):
                raise
            # one message whether it is missing or not a model: nothing about what the folder holds
            log.warning("loading model %s failed: %s", model, exc)
            from elicitation.errors import ElicitationError

            raise ElicitationError(f"model {key[0][:200]!r} was not found in the models directory "
                                   "(STUDIO_MODELS_DIR) or is not a model this worker can load") from None
        _models[key] = backend
        return backend, False


def _too_short(backend, kind: str, needed: int | None) -> bool:
    if kind != "vllm" or not needed:
        return False
    from django.conf import settings

    if getattr(settings, "STUDIO_VLLM_MAX_MODEL_LEN", None):
        return False  # fixed by the deployment: the scorer's context check refuses what does not fit
    return (getattr(backend, "context_length", None) or 0) < needed
