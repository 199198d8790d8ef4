"""What the fast scorers need from a backend: the model itself (Hugging Face backend), its tokenizer, and
the engine's prompt pieces as token ids."""
from __future__ import annotations

import math

from ..backends.base import LabelLogprobs
from ..errors import ElicitationError


def has_model(backend) -> bool:
    """True for backends that run a transformers model in this process (the `hf` backend), or that bring their
    own model runner (`make_runner()`: the token-counting stand-in of benchmarks/token_standin.py)."""
    if callable(getattr(backend, "make_runner", None)):
        return True
    return hasattr(backend, "model") and hasattr(backend, "tokenizer") and hasattr(backend.model, "model")


def require_model(backend, mode: str) -> None:
    if not has_model(backend):
        raise ElicitationError(
            f"scoring {mode!r} runs the model with its own attention masks, so it needs the in-process hf "
            f"backend; backend {getattr(backend, 'name', type(backend).__name__)!r} cannot do that "
            f"(use scoring 'folds' or 'exact' with it)")


def make_runner(backend, *, flex: bool = False):
    own = getattr(backend, "make_runner", None)
    if callable(own):
        return own()
    from .kv_cache import ModelRunner

    return ModelRunner(backend.model, window=getattr(backend, "context_length", None),
                       lock=getattr(backend, "_lock", None), flex=flex)


def flex_available(backend) -> bool:
    """FlexAttention block masks: on CUDA with a torch that has them (never the case on this CPU machine)."""
    try:
        import torch
        from torch.nn.attention import flex_attention  # noqa: F401
    except ImportError:
        return False
    return str(getattr(backend, "device", "cpu")).startswith("cuda") and torch.cuda.is_available()


def prompt_tokens(scorer):
    """The engine's prompts (PromptBuilder: query text, label word, blank-line separator) as token pieces."""
    from .demo_tokens import PromptTokens, special_prefix

    tok = scorer.backend.tokenizer
    true_ids, false_ids = scorer.backend.label_token_ids(scorer.label_words)
    from ..prompts import SEPARATOR

    return PromptTokens.from_texts(
        tok,
        list(scorer.builder.queries),
        true_word=scorer.label_words[0],
        false_word=scorer.label_words[1],
        separator=SEPARATOR,
        true_ids=tuple(true_ids),
        false_ids=tuple(false_ids),
        preamble_ids=special_prefix(tok),
    )


def as_label_logprobs(pair: tuple[float, float]) -> LabelLogprobs:
    lt, lf = pair
    return LabelLogprobs(lt if math.isfinite(lt) else None, lf if math.isfinite(lf) else None, exact=True)
