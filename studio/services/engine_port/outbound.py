"""What a run may point the engine at: an OpenAI-compatible server only on a host in STUDIO_BACKEND_HOSTS
(the worker's OPENAI_API_KEY goes there), a model path only inside STUDIO_MODELS_DIR. Checked when a run
starts and again in the worker before anything is loaded or sent."""
from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from elicitation.backends.outbound import check_url
from elicitation.errors import BackendError

from .config_fields import ConfigRefused


def allowed_hosts() -> tuple[str, ...]:
    return tuple(settings.STUDIO_BACKEND_HOSTS)


def check_base_url(base_url: str) -> None:
    try:
        check_url(base_url, allowed_hosts())
    except BackendError as exc:
        raise ConfigRefused(f"base_url: {exc}", "base_url") from None


def is_path(model: str) -> bool:
    return "/" in model or os.sep in model or model.startswith((".", "~"))


def known_models() -> set[str]:
    """Model names that are not paths: the bundled ones and the deployment's default (STUDIO_MODEL)."""
    from elicitation.models import BUNDLED  # light: no torch

    return {*BUNDLED, settings.STUDIO_MODEL}


def check_model(model: str) -> str:
    """A known name (smollm2, the bundled model; STUDIO_MODEL) is kept as is; anything else, a plain name too, is
    a path inside STUDIO_MODELS_DIR and comes back absolute (never a name resolved against the worker's working
    directory). The refusal never says whether the path exists; neither does a failed load (model_cache)."""
    if model in known_models():
        return model
    root = Path(settings.STUDIO_MODELS_DIR).resolve()
    resolved = (root / Path(model).expanduser()).resolve()  # an absolute path replaces root
    if resolved != root and root in resolved.parents:
        return str(resolved)
    raise ConfigRefused(f"model: a model given as a path must be inside the models directory "
                        f"(STUDIO_MODELS_DIR); {model[:200]!r} is not", "model")
