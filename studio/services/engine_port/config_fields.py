"""The run configuration's fields, derived from the engine's ICMConfig dataclass: each one's name, kind,
default, allowed words and whether it may be unset. The run form, the admin's start form and the API all
build on this list, and parse each value with `ConfigField.parse`, so a bad value gets one message everywhere."""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields

from studio.services.refusals import Refusal

INT, FLOAT, WORD, WORDS, TEXT, BOOL = "int", "float", "word", "words", "text", "bool"
EXPECTED = {INT: "an integer", FLOAT: "a number", WORD: "one of the listed words", WORDS: "a list of words",
            TEXT: "text", BOOL: "true or false"}


class ConfigRefused(Refusal):
    """A hyperparameter was refused; `field` names it."""


def _allowed_words() -> dict[str, tuple[str, ...]]:
    """Hyperparameters that take one of a few words, read from the engine (a scoring mode it registers later
    shows up in the forms without a change here)."""
    from elicitation.config import CALIBRATIONS, SCHEDULES, SCORES
    from elicitation.consistency_fix import FIX_STRATEGIES
    from elicitation.scoring import SCORERS
    from elicitation.scoring.folds import FoldPlan

    return {"score": SCORES, "schedule": SCHEDULES, "calibrate": CALIBRATIONS, "scoring": tuple(SCORERS),
            "fold_placement": tuple(FoldPlan.PLACEMENTS), "fix_strategy": FIX_STRATEGIES}


def _kind(annotation: str, name: str, words: dict) -> str:
    base = annotation.replace("| None", "").replace("None |", "").strip()
    if name in words:
        return WORD
    if base.startswith(("tuple", "list")):
        return WORDS
    return {"int": INT, "float": FLOAT, "bool": BOOL, "str": TEXT}[base]


@dataclass(frozen=True)
class ConfigField:
    name: str
    kind: str
    default: object
    choices: tuple[str, ...] = ()
    optional: bool = False  # None ("unset") is allowed, and is the default

    def refuse(self, value) -> ConfigRefused:
        what = f"expected {EXPECTED[self.kind]}, got {value!r}"
        if self.kind == WORD:
            what = f"{value!r} is not one of {', '.join(self.choices)}"
        return ConfigRefused(f"config field '{self.name}': {what}", self.name)

    def parse(self, value):
        """A value from a form (text) or a JSON body, in this field's type; ConfigRefused names the field."""
        if self.optional and (value is None or (isinstance(value, str) and not value.strip())):
            return None
        if isinstance(value, bool) and self.kind != BOOL:
            raise self.refuse(value)
        if self.kind == INT:
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, int):
                return value
            if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                return int(value.strip())
        elif self.kind == FLOAT:
            try:
                number = float(value.strip()) if isinstance(value, str) else float(value)
            except (TypeError, ValueError):
                raise self.refuse(value) from None
            if math.isfinite(number):
                return number
        elif self.kind == BOOL:
            text = str(value).strip().lower()
            if isinstance(value, bool):
                return value
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
        elif self.kind == WORD:
            if value in self.choices:
                return value
        elif self.kind == WORDS:
            if isinstance(value, (list, tuple)) and all(isinstance(w, str) for w in value):
                return list(value)
        elif isinstance(value, str):
            return value
        raise self.refuse(value)


def config_fields() -> tuple[ConfigField, ...]:
    """Every ICMConfig field, in the engine's order."""
    from elicitation.config import ICMConfig

    words = _allowed_words()
    found = []
    for f in fields(ICMConfig):
        default = f.default if f.default is not MISSING else f.default_factory()
        annotation = str(f.type)
        if isinstance(default, tuple):
            default = list(default)
        found.append(ConfigField(name=f.name, kind=_kind(annotation, f.name, words), default=default,
                                 choices=tuple(words.get(f.name, ())), optional="None" in annotation))
    return tuple(found)


def field_named(name: str) -> ConfigField | None:
    return next((f for f in config_fields() if f.name == name), None)
