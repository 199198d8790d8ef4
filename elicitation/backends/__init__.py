"""Backends score prompts for the label words. `load_backend` picks one; a loaded backend keeps no per-run
state and can serve many runs (a Celery worker keeps one per process)."""
from __future__ import annotations

from .. import models
from ..errors import ElicitationError
from .base import Backend, BackendMixin, BatchScores, LabelLogprobs

KINDS = ("hf", "vllm", "openai")
# Where a model runs: "auto" picks CUDA when there is one. load_backend also takes "cuda:N".
DEVICES = ("auto", "cpu", "cuda")


def load_backend(model: str | None = None, kind: str = "hf", device: str = "auto", base_url: str | None = None,
                 **options) -> Backend:
    """Load a model: `model` is "smollm2" (the bundled model), a folder or .gguf path, or a Hugging Face name
    (default: STUDIO_MODEL, else smollm2). kind "openai" talks to a server at `base_url` serving `model`."""
    if kind not in KINDS:
        raise ElicitationError(f"backend kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise ElicitationError(f"device must be {', '.join(DEVICES)} or cuda:N, got {device!r}")
    if kind == "openai":
        from .openai_compat import OpenAIBackend

        if not base_url:
            raise ElicitationError("the openai backend needs base_url (--base-url http://host:port/v1)")
        return OpenAIBackend(base_url, model, **options)
    if base_url:
        raise ElicitationError(f"base_url is only for the openai backend, not {kind!r}")
    name = model or models.default_model()
    path = models.resolve(name)
    if kind == "vllm":
        from .vllm_backend import VLLMBackend

        return VLLMBackend.load(path, device=device, name=name, **options)
    from .hf import HFBackend

    return HFBackend.load(path, device=device, name=name, **options)


__all__ = ["Backend", "BackendMixin", "BatchScores", "LabelLogprobs", "load_backend", "DEVICES", "KINDS"]
