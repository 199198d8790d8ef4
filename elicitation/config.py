"""ICM hyperparameters: defaults from the paper and its official code, JSON round-trip, validation."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from .errors import ElicitationError

SCORES = ("mean-logodds", "sum-logprob")
SCHEDULES = ("log", "paper")
CALIBRATIONS = ("none", "center")
# Upper bounds: far above any useful run, low enough that a typo (10**30 iterations, alpha=1e308, a word of
# 100,000 characters) is refused with the field's name instead of running forever or overflowing.
MAXIMA = {"seed": 2**32 - 1, "iterations": 100_000, "initial_labels": 100_000, "consistency_fix_rounds": 1_000,
          "checkpoint_every": 100_000, "folds": 1_000, "max_demos": 100_000,
          "alpha": 1e6, "t0": 1e6, "t_min": 1e6, "beta": 1e3}
MAX_LABEL_WORD = 50  # characters, as a dataset's true_word / false_word


@dataclass(frozen=True)
class ICMConfig:
    seed: int = 0
    iterations: int = 3000
    alpha: float = 50.0
    initial_labels: int = 8
    consistency_fix_rounds: int = 10
    score: str = "mean-logodds"       # P(D): mean ±log-odds (official code) or Σ log P(y_i|…) (paper's text)
    schedule: str = "log"             # temperature: official code's log schedule, or the paper's Algorithm 1
    t0: float = 10.0
    t_min: float = 0.01
    beta: float = 0.99
    calibrate: str = "none"           # "center": subtract the labeled set's mean log-odds (contextual calibration)
    label_words: tuple[str, str] = (" True", " False")
    checkpoint_every: int = 10
    scoring: str = "exact"            # how P(D) is scored; see elicitation.scoring (more modes may be registered)
    folds: int = 4                    # scoring "folds": how many folds
    fold_placement: str = "stable"    # scoring "folds": where a newly labeled/changed example sits in a context
    max_demos: int | None = None      # at most this many demonstrations per prompt (a fixed seeded subset)
    fix_strategy: str = "rescan"      # ConsistencyFix: "rescan" (score the proposal, then every violation) or
                                      # "local" (straight to the fix, pairs of changed examples only; the official
                                      # code's way; fewer tokens, measured 3.7 points less accurate, see its module)
    fill: bool = False                # after the search, label each still-unlabeled example by the model's
                                      # prediction with the final labels as demonstrations (result.filled)

    def __post_init__(self) -> None:
        words = self.label_words
        if isinstance(words, list):
            object.__setattr__(self, "label_words", tuple(words))
        self._validate()

    def _validate(self) -> None:
        from .scoring import SCORERS

        def fail(name, message):
            raise ElicitationError(f"config field '{name}': {message}")

        for name in ("seed", "iterations", "initial_labels", "consistency_fix_rounds", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                fail(name, f"expected an integer, got {value!r}")
        for name in ("alpha", "t0", "t_min", "beta"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                fail(name, f"expected a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.iterations < 0:
            fail("iterations", "must be >= 0")
        if self.initial_labels < 0:
            fail("initial_labels", "must be >= 0")
        if self.consistency_fix_rounds < 0:
            fail("consistency_fix_rounds", "must be >= 0")
        if self.checkpoint_every < 1:
            fail("checkpoint_every", "must be >= 1")
        if not isinstance(self.fill, bool):
            fail("fill", f"expected true or false, got {self.fill!r}")
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 2:
            fail("folds", f"expected an integer >= 2, got {self.folds!r}")
        if self.max_demos is not None and (isinstance(self.max_demos, bool) or not isinstance(self.max_demos, int)
                                           or self.max_demos < 1):
            fail("max_demos", f"expected a positive integer or null, got {self.max_demos!r}")
        if self.alpha < 0:
            fail("alpha", "must be >= 0")
        if self.t0 <= 0 or self.t_min <= 0:
            fail("t0" if self.t0 <= 0 else "t_min", "temperatures must be > 0")
        if self.beta < 0:
            fail("beta", "must be >= 0")
        from .consistency_fix import FIX_STRATEGIES
        from .scoring.folds import FoldPlan

        for name, allowed in (("score", SCORES), ("schedule", SCHEDULES), ("calibrate", CALIBRATIONS),
                              ("scoring", tuple(SCORERS)), ("fold_placement", FoldPlan.PLACEMENTS),
                              ("fix_strategy", FIX_STRATEGIES)):
            if getattr(self, name) not in allowed:
                fail(name, f"{getattr(self, name)!r} is not one of {', '.join(allowed)}")
        words = self.label_words
        if (not isinstance(words, tuple) or len(words) != 2
                or not all(isinstance(w, str) and w.strip() for w in words)):
            fail("label_words", f"expected two non-empty words [true_word, false_word], got {words!r}")
        if words[0].strip().casefold() == words[1].strip().casefold():
            fail("label_words", f"the two words must differ, got {words!r}")
        if max(len(w) for w in words) > MAX_LABEL_WORD:
            fail("label_words", f"each word at most {MAX_LABEL_WORD} characters, got {max(len(w) for w in words)}")
        for name, most in MAXIMA.items():
            value = getattr(self, name)
            if value is not None and value > most:
                shown = value if len(str(value)) <= 30 else f"{str(value)[:12]}... ({len(str(value))} digits)"
                fail(name, f"at most {most:g}, got {shown}" if isinstance(most, float) else f"at most {most}, got {shown}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["label_words"] = list(self.label_words)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "ICMConfig":
        if not isinstance(data, dict):
            raise ElicitationError(f"config must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ElicitationError(f"unknown config field(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**data)

    def replace(self, **changes) -> "ICMConfig":
        d = self.to_dict()
        d.update(changes)
        return ICMConfig.from_dict(d)
