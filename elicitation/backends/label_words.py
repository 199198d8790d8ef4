"""Which tokens count as a label word, and how top-k log-probabilities are summed into a score.

A label word " True" is also produced by a tokenizer as "True", " true", "TRUE", ...: the score sums the
probability of every such variant. A token matches a word when the two are equal after stripping whitespace
and case-folding (the official code's substring test would also count tokens such as "untrue").
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Union

TopK = Union[Mapping[str, float], Iterable[tuple[str, float]]]


def canonical(text: str) -> str:
    return text.strip().casefold()


def logsumexp(values: Iterable[float]) -> float | None:
    values = [v for v in values if v is not None and v != -math.inf]
    if not values:
        return None
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def sum_topk(top_logprobs: TopK, label_words: tuple[str, str]) -> tuple[float | None, float | None]:
    """(log P(true word), log P(false word)) summed over the variants present among top-k tokens (a mapping
    token -> logprob, or (token, logprob) pairs); None when a word has no variant among them."""
    true_c, false_c = canonical(label_words[0]), canonical(label_words[1])
    t, f = [], []
    items = top_logprobs.items() if isinstance(top_logprobs, Mapping) else top_logprobs
    for token, logprob in items:
        c = canonical(token)
        if c == true_c:
            t.append(logprob)
        elif c == false_c:
            f.append(logprob)
    return logsumexp(t), logsumexp(f)
