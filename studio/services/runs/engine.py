"""The one place the studio talks to the ICM engine (`elicitation`, pure Python). Imported lazily so that
web processes and task discovery never load torch."""
from __future__ import annotations

BUNDLED_MODELS = {"smollm2"}


def engine():
    import elicitation

    return elicitation


def choices() -> dict[str, list[str]]:
    """Hyperparameters that take one of a few words, with the words the engine accepts (read from the engine, so
    a scoring mode it registers later shows up in forms without a change here)."""
    from elicitation import config as engine_config

    found = {"score": getattr(engine_config, "SCORES", ()), "schedule": getattr(engine_config, "SCHEDULES", ()),
             "calibrate": getattr(engine_config, "CALIBRATIONS", ())}
    try:
        from elicitation.scoring import SCORERS
        from elicitation.scoring.folds import FoldPlan

        found["scoring"] = tuple(SCORERS)
        found["fold_placement"] = FoldPlan.PLACEMENTS
    except ImportError:
        pass
    return {name: list(words) for name, words in found.items() if words}


def cpu_exact_limit() -> int:
    """Runs on a CPU over more than this many examples score by folds unless their config names a mode."""
    from elicitation.scoring import CPU_EXACT_LIMIT

    return CPU_EXACT_LIMIT


def default_config() -> dict:
    """The engine's own defaults, as a JSON-safe dict."""
    return engine().ICMConfig().to_dict()


def optional_kinds() -> dict[str, type]:
    """Hyperparameters whose default is None (e.g. max_demos): the type they take when set, from the engine's
    annotations ("int | None" → int)."""
    from dataclasses import fields

    kinds = {}
    for f in fields(engine().ICMConfig):
        if f.default is None:
            text = str(f.type)
            kinds[f.name] = int if "int" in text else float if "float" in text else str
    return kinds


def validated_config(values: dict) -> dict:
    """Round-trip through ICMConfig so the engine itself accepts the config; ValueError names the field."""
    cfg = engine().ICMConfig.from_dict(values)
    return cfg.to_dict()


def is_bundled(model: str) -> bool:
    return model in BUNDLED_MODELS
