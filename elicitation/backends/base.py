"""The backend protocol: score a batch of prompts for the two label words at the next token."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

# The official code adds this probability to both label words' summed top-k probabilities before the log.
TOPK_EPS = 1e-5


def common_prefix_length(a: Sequence, b: Sequence) -> int:
    """How many leading tokens two sequences share (the part of a key/value cache one can reuse for the other)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


@dataclass(frozen=True)
class LabelLogprobs:
    """log P(true word) and log P(false word) at the next token (each summed over the word's variants).

    `exact` backends read the full next-token distribution; top-k backends (vLLM, OpenAI-compatible) only see
    the k most likely tokens, so a word may be missing (None).
    """

    logp_true: float | None
    logp_false: float | None
    exact: bool = True

    @property
    def found(self) -> bool:
        """False when neither label word was seen: the prompt scores 0 and is counted as a zero score."""
        return self.logp_true is not None or self.logp_false is not None

    @property
    def log_odds(self) -> float:
        if not self.found:
            return 0.0
        if self.exact and self.logp_true is not None and self.logp_false is not None:
            return self.logp_true - self.logp_false
        # top-k: as the official code, log(P_true + eps) − log(P_false + eps) with a missing word at P = 0
        p_t = math.exp(self.logp_true) if self.logp_true is not None else 0.0
        p_f = math.exp(self.logp_false) if self.logp_false is not None else 0.0
        return math.log(p_t + TOPK_EPS) - math.log(p_f + TOPK_EPS)


@dataclass
class BatchScores:
    results: list[LabelLogprobs]
    tokens: int  # model tokens processed for this batch (prompt tokens actually run through the model)


@runtime_checkable
class Backend(Protocol):
    name: str
    context_length: int | None  # tokens; None when the backend cannot tell
    # Also expected, not required: `fingerprint` (str), naming the weights (elicitation.fingerprint); a state
    # records it and refuses to resume with another. A backend without one is told apart by `name` only.

    def score_batch(self, prompts: Sequence[str], label_words: tuple[str, str]) -> BatchScores:
        """Label-word log-probabilities at the end of each prompt (same order)."""

    def count_tokens(self, text: str) -> int | None:
        """Tokens of a text as the model sees it, or None when the backend cannot tell."""


class BackendMixin:
    """Conveniences every backend shares."""

    # Asked between the model calls of one batch, where a backend makes several (hf: one per prompt); true
    # abandons the batch with ScoringInterrupted. run_icm sets it to its should_stop for the search's duration.
    interrupt = None

    def score(self, prompts: Sequence[str], true_word: str = " True", false_word: str = " False") -> list[float]:
        """Log-odds log P(true word) − log P(false word) at the end of each prompt."""
        return [r.log_odds for r in self.score_batch(list(prompts), (true_word, false_word)).results]

    @property
    def max_tokens(self) -> int | None:
        return self.context_length

    def chat_prompt(self, text: str) -> str | None:
        """`text` as a user turn in the model's chat template, ending where the assistant's reply begins; None
        when the model has no chat template (or the backend cannot apply one)."""
        tokenizer = getattr(self, "tokenizer", None)
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            return None
        return tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                             add_generation_prompt=True)
