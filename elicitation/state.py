"""The whole search state, JSON-serializable: labels, counters, energy, and the random generator's state.

A run that saves this state and a run that restores it make the same random draws afterwards, so a resumed
run ends with the same labels as one that was never stopped.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from .errors import InputError

STATE_VERSION = 1


def rng_to_json(rng: random.Random) -> list:
    version, internal, gauss_next = rng.getstate()
    return [version, list(internal), gauss_next]


def rng_from_json(data) -> random.Random:
    try:
        version, internal, gauss_next = data
        rng = random.Random()
        rng.setstate((int(version), tuple(int(x) for x in internal), gauss_next))
    except (TypeError, ValueError) as exc:
        raise InputError(f"checkpoint: the random generator state is not valid ({exc})") from None
    return rng


@dataclass
class SearchState:
    labels: dict[str, bool | None]             # every example id (as text) → label, None while unlabeled
    iteration: int = 0                          # iterations completed
    initialized: bool = False                   # initial labels drawn, first evaluation and ConsistencyFix done
    energy: float | None = None                 # U of the current labels
    inconsistencies: int = 0
    scores: dict[str, float] = field(default_factory=dict)  # raw leave-one-out log-odds of the labeled examples
    zero_scores: list[str] = field(default_factory=list)    # labeled ids whose prompt had neither label word
    accepted: int = 0                           # accepted proposals
    accepted_flips: int = 0                     # accepted proposals that changed at least one label
    proposals: int = 0                          # iterations whose predicted label differed (U evaluated)
    tokens: int = 0                             # model tokens processed so far
    seconds: float = 0.0                        # search time so far (all sessions)
    rng: list = field(default_factory=list)     # random.Random state, as JSON lists
    problem: str = ""                           # fingerprint of the problem the state belongs to
    config: dict = field(default_factory=dict)  # ICMConfig.to_dict() of the run
    score_cache: list = field(default_factory=list)  # the scorer's cache (see scoring.base.ScoreCache)
    # the model the scores came from: {"name", "fingerprint"} (elicitation.fingerprint); {} in checkpoints
    # made before it was recorded
    model: dict = field(default_factory=dict)
    version: int = STATE_VERSION

    def to_dict(self) -> dict:
        # A deep copy of plain JSON values; json's C code does it several times faster than dataclasses.asdict,
        # which matters because the score cache is large and a worker saves the state at every checkpoint.
        return json.loads(json.dumps({name: getattr(self, name) for name in self.__dataclass_fields__}))

    @classmethod
    def from_dict(cls, data: dict) -> "SearchState":
        if not isinstance(data, dict):
            raise InputError(f"checkpoint must be a JSON object, got {type(data).__name__}")
        if data.get("version") != STATE_VERSION:
            raise InputError(f"checkpoint version {data.get('version')!r} is not supported (expected {STATE_VERSION})")
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - names)
        if unknown:
            raise InputError(f"checkpoint has unknown field(s): {', '.join(unknown)}")
        if not isinstance(data.get("labels"), dict):
            raise InputError("checkpoint: 'labels' must be an object mapping example ids to true/false/null")
        for key, value in data["labels"].items():
            if value is not None and not isinstance(value, bool):
                raise InputError(f"checkpoint: label of {key!r} must be true, false or null, got {value!r}")
        model = data.get("model", {})
        if not isinstance(model, dict) or not all(isinstance(model.get(k), (str, type(None)))
                                                  for k in ("name", "fingerprint")):
            raise InputError("checkpoint: 'model' must be an object with a text 'name' and 'fingerprint'")
        state = cls(**data)
        rng_from_json(state.rng)  # validates
        return state

    @property
    def labeled_count(self) -> int:
        return sum(1 for v in self.labels.values() if v is not None)
