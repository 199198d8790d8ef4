"""A scripted backend for the search-logic tests. It is not a language model: it scores a prompt by reading
the query's "signal" from its text, so the tests can check the search, rules, schedules and state handling in
seconds. Everything that needs a model is tested against the bundled model in test_real_model.py."""
from __future__ import annotations

import math
import re
from typing import Callable, Sequence

from elicitation import Example, Problem
from elicitation.backends.base import BackendMixin, BatchScores, LabelLogprobs

SIGNAL = re.compile(r"signal=(-?\d+(?:\.\d+)?)")


def logprobs_for(log_odds: float) -> LabelLogprobs:
    """Two-word log-probs whose difference is log_odds (and which sum to probability 1 over the two)."""
    return LabelLogprobs(-math.log1p(math.exp(-log_odds)), -math.log1p(math.exp(log_odds)))


def query_signal(prompt: str) -> float:
    """The signal written in the last block of the prompt (the query)."""
    return float(SIGNAL.findall(prompt.split("\n\n")[-1])[0])


class ScriptedBackend(BackendMixin):
    """Scores = rule(prompt); counts calls and the prompts it saw. `context_length` and token counts come
    from whitespace-separated words."""

    name = "scripted"

    def __init__(self, rule: Callable[[str], LabelLogprobs | float] | None = None, context_length: int = 100_000,
                 name: str = "scripted", fingerprint: str | None = None):
        self.name = name
        self.fingerprint = fingerprint  # None: a backend that cannot name its weights (told apart by name)
        self.rule = rule or (lambda p: query_signal(p))
        self.context_length = context_length
        self.calls = 0
        self.seen: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def score_batch(self, prompts: Sequence[str], label_words) -> BatchScores:
        self.calls += 1
        self.seen.extend(prompts)
        out = []
        for p in prompts:
            r = self.rule(p)
            out.append(r if isinstance(r, LabelLogprobs) else logprobs_for(float(r)))
        return BatchScores(out, sum(self.count_tokens(p) for p in prompts))


def signal_problem(signals: Sequence[float], groups=None, keys=None, consistency="none") -> Problem:
    """Examples whose prompt carries a signal the scripted backend reads back as the query's log-odds."""
    groups = groups or [None] * len(signals)
    keys = keys or [None] * len(signals)
    return Problem([Example(f"x{i}", f"Item {i} signal={s}\nI think this claim is ", g, k)
                    for i, (s, g, k) in enumerate(zip(signals, groups, keys))], consistency=consistency)
