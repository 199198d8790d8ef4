"""A run's hyperparameters: parsed once, field by field, into the engine's ICMConfig (which checks ranges and
words itself); stored as ICMConfig.to_dict() and loaded back in the worker as the same object."""
from __future__ import annotations

import re

from .config_fields import ConfigRefused, config_fields


def parse_config(values: dict | None, *, defaults: dict | None = None):
    """ICMConfig from what a person sent (form text or JSON), over `defaults` (the studio's choices, already
    typed). Refuses (ConfigRefused, naming the field) an unknown key, a value of the wrong kind, a word not
    allowed, or a value the engine rejects."""
    from elicitation.config import ICMConfig
    from elicitation.errors import ElicitationError

    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigRefused(f"config must be an object of hyperparameters, got {type(values).__name__}", "config")
    spec = {f.name: f for f in config_fields()}
    for name in values:
        if name not in spec:
            raise ConfigRefused(f"config field '{name}' is not an engine hyperparameter "
                                f"(known: {', '.join(sorted(spec))})", str(name))
    chosen = {**(defaults or {}), **{name: spec[name].parse(raw) for name, raw in values.items()}}
    try:
        return ICMConfig(**chosen)
    except ElicitationError as exc:
        named = re.match(r"config field '(\w+)'", str(exc))
        raise ConfigRefused(str(exc), named.group(1) if named else "config") from None


def load_config(stored: dict):
    """The ICMConfig a run stored (ICMConfig.to_dict()), as the worker hands it to the engine."""
    from elicitation.config import ICMConfig

    return ICMConfig.from_dict(stored)


def cpu_exact_limit() -> int:
    """Runs on a CPU over more than this many examples score by folds unless their config names a mode."""
    from elicitation.scoring import CPU_EXACT_LIMIT

    return CPU_EXACT_LIMIT


def score_cache_size() -> int:
    """How many scored prompts a search keeps (a prompt seen again costs no model tokens)."""
    from elicitation.scoring import DEFAULT_CACHE_SIZE

    return DEFAULT_CACHE_SIZE
