"""A run's hyperparameters: the engine's defaults, the studio's defaults for the bundled model and for CPU runs,
then what the admin chose — parsed once, through the engine port, into the engine's ICMConfig."""
from __future__ import annotations

import hashlib
import json

from studio.services import engine_port
from studio.services.engine_port.config import cpu_exact_limit
from studio.services.engine_port.config_fields import field_named

from .errors import RunRefused


def studio_defaults(*, dataset, model: str, backend: str, device: str, chosen: set,
                    example_count: int, user_config: dict | None = None) -> tuple[dict, list[str]]:
    """The studio's choices for the hyperparameters the admin left out, with a note on each non-obvious one."""
    values: dict = {}
    notes: list[str] = []
    if "fill" not in chosen:
        # Every example of a study gets a label; filled ones are stored as their own kind (ElicitedLabel.kind).
        values["fill"] = True
    if "label_words" not in chosen:
        values["label_words"] = [dataset.true_word, dataset.false_word]
    if "calibrate" not in chosen and engine_port.is_bundled(model):
        values["calibrate"] = "center"
        notes.append("calibrate=center: the bundled model's log-odds lean to one label; centering keeps a run "
                     "from collapsing to a constant labeling")
    limit = cpu_exact_limit()
    on_cpu = device == "cpu" or (device == "auto" and backend == "hf" and engine_port.is_bundled(model))
    if "scoring" not in chosen and example_count > limit and "folds" in field_named("scoring").choices:
        values["scoring"] = "folds"
        where = "a CPU run" if on_cpu else "a run"
        notes.append(f"scoring=folds: {where} over {example_count} examples (> {limit}); "
                     "exact leave-one-out scoring would take too long")
        if "folds" not in chosen:
            folds = fold_count(dataset, model, example_count, _int_or_none((user_config or {}).get("max_demos")))
            if folds is not None:
                values["folds"], note = folds
                notes.append(note)
    return values, notes


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None  # the config's own parsing names the field


def fold_count(dataset, model: str, example_count: int, max_demos) -> tuple[int, str] | None:
    """Folds chosen from the context length (issue 24): the most folds, up to the engine's default, whose
    contexts fit the model's context window, for prompts as long as the dataset's max_chars allows. None when
    either is unknown (the engine's default then)."""
    import re

    from studio.services.engine_port.model_cache import context_window_of, folds_for_context

    window = context_window_of(model)
    if not window or not dataset.max_chars:
        return None
    fields = len(set(re.findall(r"{(\w+)", dataset.prompt_template or ""))) or 1
    demo_tokens = (len(dataset.prompt_template or "") + fields * (dataset.max_chars + 4)) / 4 + 2
    folds = folds_for_context(example_count, demo_tokens, window, max_demos=max_demos)
    return folds, (f"folds={folds}: the most folds (up to 4) whose contexts fit the model's {window:,}-token "
                   f"context at the dataset's max_chars ({dataset.max_chars})")


def build_config(*, dataset, model: str, backend: str, device: str, user_config: dict | None,
                 example_count: int) -> tuple[dict, list[str]]:
    """Returns (ICMConfig.to_dict(), notes on the defaults the studio chose). Refuses (RunRefused, naming the
    field) an unknown hyperparameter or a bad value."""
    chosen = set(user_config) if isinstance(user_config, dict) else set()
    defaults, notes = studio_defaults(dataset=dataset, model=model, backend=backend, device=device, chosen=chosen,
                                      example_count=example_count,
                                      user_config=user_config if isinstance(user_config, dict) else None)
    try:
        config = engine_port.parse_config(user_config, defaults=defaults)
    except engine_port.ConfigRefused as exc:
        raise RunRefused(exc.message, exc.field) from None
    return config.to_dict(), notes


def fingerprint(**parts) -> str:
    """Hash of dataset + everything that makes two runs the same run."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
