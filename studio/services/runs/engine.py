"""The one place the studio talks to the ICM engine (`elicitation`, pure Python). Imported lazily so that
web processes and task discovery never load torch."""
from __future__ import annotations

BUNDLED_MODELS = {"smollm2"}
# Hyperparameters that are not free-form text: what a form offers for them.
KNOWN_CHOICES = {
    "score": ["mean-logodds", "sum-logprob"],
    "schedule": ["log", "paper"],
    "calibrate": ["none", "center"],
    "scoring": ["exact", "folds", "blocks"],
}


def engine():
    import elicitation

    return elicitation


def default_config() -> dict:
    """The engine's own defaults, as a JSON-safe dict."""
    return engine().ICMConfig().to_dict()


def validated_config(values: dict) -> dict:
    """Round-trip through ICMConfig so the engine itself accepts the config; ValueError names the field."""
    cfg = engine().ICMConfig.from_dict(values)
    return cfg.to_dict()


def is_bundled(model: str) -> bool:
    return model in BUNDLED_MODELS
