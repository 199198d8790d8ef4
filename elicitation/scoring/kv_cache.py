"""Key/value caches as plain tensors, and one model call on top of them.

The fast scorers keep per-context (folds) or per-block (blocks) key/value tensors themselves and glue them
together for each forward pass, so they do not depend on how a transformers `Cache` object grows. Keys are
stored after the rotary embedding, so a cached segment keeps the positions it was computed at.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import torch

from .masks import to_attention_mask

# One (keys, values) pair per layer, each shaped [1, kv_heads, length, head_dim].
KV = tuple[tuple[torch.Tensor, torch.Tensor], ...]


def kv_len(kv: KV | None) -> int:
    return 0 if not kv else int(kv[0][0].shape[-2])


def kv_slice(kv: KV | None, start: int, end: int | None = None) -> KV | None:
    if not kv:
        return None
    return tuple((k[:, :, start:end], v[:, :, start:end]) for k, v in kv)


def kv_cat(parts: list[KV | None]) -> KV | None:
    parts = [p for p in parts if p and kv_len(p) > 0]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return tuple(
        (torch.cat([p[layer][0] for p in parts], dim=-2), torch.cat([p[layer][1] for p in parts], dim=-2))
        for layer in range(len(parts[0]))
    )


@dataclass
class ModelRunner:
    """A causal LM (Llama-style, full attention in every layer) plus a count of the tokens it has processed.

    `tokens` counts input tokens of every forward pass: the cost measure the benchmarks compare.
    """

    model: torch.nn.Module
    window: int | None = None  # the model's context window; default: its config's max_position_embeddings
    lock: Any = None  # held around each forward (a backend shares one model between runs)
    flex: bool = False  # run forwards with FlexAttention block masks (meant for CUDA)
    tokens: int = 0
    _lm_head: torch.nn.Module = field(init=False, repr=False)

    def __post_init__(self):
        self.model.eval()
        self._lm_head = self.model.get_output_embeddings()
        if self.lock is None:
            self.lock = contextlib.nullcontext()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @property
    def context_window(self) -> int:
        if self.window:
            return int(self.window)
        return int(getattr(self.model.config, "max_position_embeddings", 0) or 0)

    def forward(self, input_ids: list[int], **kwargs) -> tuple[torch.Tensor | None, KV | None]:
        with self.lock, torch.inference_mode(), self._attention():
            return self._forward(input_ids, **kwargs)

    @contextlib.contextmanager
    def _attention(self):
        """FlexAttention for the duration of a call when asked (the backend's model is shared; restore it)."""
        if not self.flex:
            yield
            return
        before = self.model.config._attn_implementation
        self.model.set_attn_implementation("flex_attention")
        try:
            yield
        finally:
            self.model.set_attn_implementation(before)

    def _forward(
        self,
        input_ids: list[int],
        *,
        past: KV | None = None,
        positions: list[int] | torch.Tensor | None = None,
        allowed: torch.Tensor | None = None,
        logits_at: list[int] | None = None,
        want_kv: bool = True,
    ) -> tuple[torch.Tensor | None, KV | None]:
        """Run `input_ids` on top of `past`.

        positions: position ids of the new tokens (default: continue after `past`).
        allowed: boolean [new, len(past) + new] — which keys each new token may attend to (default: causal).
        Returns the log-softmax over the vocabulary at the rows `logits_at` (or None) and the new tokens' KV
        (None unless `want_kv`).
        """
        from transformers import DynamicCache

        dev = self.device
        n_new = len(input_ids)
        past_len = kv_len(past)
        ids = torch.tensor([input_ids], dtype=torch.long, device=dev)
        if positions is None:
            pos = torch.arange(past_len, past_len + n_new, device=dev)[None]
        else:
            pos = torch.as_tensor(positions, dtype=torch.long, device=dev).reshape(1, n_new)
        mask = None
        if allowed is not None:
            if tuple(allowed.shape) != (n_new, past_len + n_new):
                raise ValueError(f"mask shape {tuple(allowed.shape)} != ({n_new}, {past_len + n_new})")
            mask = to_attention_mask(allowed.to(dev), self.dtype, self.model.config._attn_implementation)
        cache = DynamicCache(ddp_cache_data=past) if past else DynamicCache()
        out = self.model.model(
            input_ids=ids, attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True
        )
        self.tokens += n_new
        new_kv = None
        if want_kv:
            new_kv = tuple(
                (layer.keys[:, :, past_len:].clone(), layer.values[:, :, past_len:].clone()) for layer in cache.layers
            )
        logprobs = None
        if logits_at is not None:
            hidden = out.last_hidden_state[0, torch.as_tensor(logits_at, dtype=torch.long, device=dev)]
            logprobs = torch.log_softmax(self._lm_head(hidden).float(), dim=-1)
        return logprobs, new_kv


def label_logprobs(logprobs: torch.Tensor, true_ids: list[int], false_ids: list[int]) -> list[tuple[float, float]]:
    """(log P(True), log P(False)) per row, each summing the label word's token variants."""
    t = torch.logsumexp(logprobs[:, true_ids], dim=-1)
    f = torch.logsumexp(logprobs[:, false_ids], dim=-1)
    return [(float(a), float(b)) for a, b in zip(t.tolist(), f.tolist())]
