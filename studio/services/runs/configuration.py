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
                    example_count: int) -> tuple[dict, list[str]]:
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
    if "scoring" not in chosen and on_cpu and example_count > limit and "folds" in field_named("scoring").choices:
        values["scoring"] = "folds"
        notes.append(f"scoring=folds: a CPU run over {example_count} examples (> {limit}); "
                     "exact leave-one-out scoring would take too long")
    return values, notes


def build_config(*, dataset, model: str, backend: str, device: str, user_config: dict | None,
                 example_count: int) -> tuple[dict, list[str]]:
    """Returns (ICMConfig.to_dict(), notes on the defaults the studio chose). Refuses (RunRefused, naming the
    field) an unknown hyperparameter or a bad value."""
    chosen = set(user_config) if isinstance(user_config, dict) else set()
    defaults, notes = studio_defaults(dataset=dataset, model=model, backend=backend, device=device, chosen=chosen,
                                      example_count=example_count)
    try:
        config = engine_port.parse_config(user_config, defaults=defaults)
    except engine_port.ConfigRefused as exc:
        raise RunRefused(exc.message, exc.field) from None
    return config.to_dict(), notes


def fingerprint(**parts) -> str:
    """Hash of dataset + everything that makes two runs the same run."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
