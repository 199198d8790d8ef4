"""A run's hyperparameters: the engine's defaults, the studio's defaults for the bundled model and for CPU runs,
then what the admin chose — checked value by value so a bad one is refused naming its field."""
from __future__ import annotations

import hashlib
import json

from . import engine
from .errors import RunRefused


def _coerce(name: str, value, default, optional_kind: type | None = None):
    """Bring a value from a form or JSON body to the type of the engine's default for that field (for a field
    whose default is None, to the type it takes when set)."""
    if value is None or (optional_kind is not None and value == ""):
        return default
    if optional_kind is not None:
        default = optional_kind()
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            if isinstance(value, bool):
                raise ValueError
            return int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
        if isinstance(default, float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if isinstance(default, (list, tuple)):
            if not isinstance(value, (list, tuple)):
                raise ValueError
            return list(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise ValueError
            return value
    except (TypeError, ValueError):
        kind = type(default).__name__
        kind = {"int": "an integer", "float": "a number", "bool": "true or false", "list": "a list",
                "tuple": "a list", "str": "text"}.get(kind, kind)
        raise RunRefused(f"config field '{name}': expected {kind}, got {value!r}") from None
    return value


def build_config(*, dataset, model: str, backend: str, device: str, user_config: dict | None,
                 example_count: int) -> tuple[dict, list[str]]:
    """Returns (ICMConfig.to_dict(), notes on the defaults the studio chose)."""
    user_config = dict(user_config or {})
    defaults = engine.default_config()
    unknown = sorted(set(user_config) - set(defaults))
    if unknown:
        raise RunRefused(
            f"config field '{unknown[0]}' is not an engine hyperparameter "
            f"(known: {', '.join(sorted(defaults))})"
        )
    values = dict(defaults)
    notes: list[str] = []
    words = engine.choices()
    optional = engine.optional_kinds()
    for name, raw in user_config.items():
        values[name] = _coerce(name, raw, defaults[name], optional.get(name))
        allowed = words.get(name)
        if allowed and values[name] not in allowed:
            raise RunRefused(f"config field '{name}': {values[name]!r} is not one of {', '.join(allowed)}")

    if "label_words" not in user_config and "label_words" in defaults:
        values["label_words"] = [dataset.true_word, dataset.false_word]
    if "calibrate" not in user_config and engine.is_bundled(model) and "calibrate" in defaults:
        values["calibrate"] = "center"
        notes.append("calibrate=center: the bundled model's log-odds lean to one label; centering keeps a run "
                     "from collapsing to a constant labeling")
    limit = engine.cpu_exact_limit()
    on_cpu = device == "cpu" or (device == "auto" and backend == "hf" and engine.is_bundled(model))
    if ("scoring" in defaults and "scoring" not in user_config and on_cpu and example_count > limit
            and "folds" in words.get("scoring", [])):
        values["scoring"] = "folds"
        notes.append(f"scoring=folds: a CPU run over {example_count} examples (> {limit}); "
                     "exact leave-one-out scoring would take too long")
    try:
        config = engine.validated_config(values)
    except (TypeError, ValueError) as exc:
        raise RunRefused(str(exc)) from None
    return config, notes


def fingerprint(**parts) -> str:
    """Hash of dataset + everything that makes two runs the same run."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
