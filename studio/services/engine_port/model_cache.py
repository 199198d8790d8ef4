"""The worker process's loaded model, shared by runs and evaluations.

A worker loads a model once and keeps it for later work with the same model, backend and device. It keeps
one model at a time: a GPU holds one large model, and work on another model frees the previous one.
"""
from __future__ import annotations

import logging
import threading

from elicitation.models import BUNDLED  # light: no torch

log = logging.getLogger(__name__)

_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def is_bundled(model: str) -> bool:
    return model in BUNDLED


def get_backend(*, model: str, kind: str, device: str, base_url: str | None = None) -> tuple[object, bool]:
    """(backend, reused): the process's loaded model when it matches, else a fresh load replacing it."""
    key = (model, kind, device, base_url or "")
    with _models_lock:
        if key in _models:
            return _models[key], True
        _models.clear()  # drop the previous model before loading the next (GPU memory)
        from elicitation import load_backend

        from .outbound import allowed_hosts, check_base_url, check_model

        # Again here, in the worker: a run queued before a setting changed, or an evaluation's options.
        options = {}
        if kind != "openai":  # an OpenAI-compatible server's model is its own name, not a path here
            model = check_model(model)
        else:
            check_base_url(base_url or "")
            options["allowed_hosts"] = allowed_hosts()  # the client checks every request's host too
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
