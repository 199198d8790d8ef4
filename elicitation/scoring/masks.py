"""Attention masks for packed sequences: which keys each new token may see.

Masks are built as boolean `allowed[new_token, key]` matrices and converted at the last moment:
- to an additive float mask (0 where allowed, `torch.finfo(dtype).min` elsewhere) for SDPA/eager attention.
  A boolean 4D mask is silently wrong with eager attention, and -inf gives NaN on a fully masked row;
- to a FlexAttention `BlockMask` when the model runs with `attn_implementation="flex_attention"` (CUDA).
  That path is for GPU workers; it was checked against the float mask on a CPU (torch's unfused
  fallback), never on a CUDA device.
"""
from __future__ import annotations

import torch


def packed_rows_allowed(
    prefix_visible: torch.Tensor, prefix_segment: torch.Tensor, lengths: list[int]
) -> torch.Tensor:
    """Keys visible to several token runs packed into one sequence after a cached prefix.

    prefix_visible: bool [runs, segments] — may run r see prefix segment s.
    prefix_segment: long [prefix_len] — the segment of each prefix key.
    lengths: token count of each run; a run sees itself causally and never the other runs.
    Returns bool [sum(lengths), prefix_len + sum(lengths)].
    """
    runs = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths, dtype=torch.long))
    total = int(runs.numel())
    if prefix_segment.numel():
        prefix_part = prefix_visible[runs][:, prefix_segment]
    else:
        prefix_part = torch.zeros(total, 0, dtype=torch.bool)
    idx = torch.arange(total)
    own = (runs[:, None] == runs[None, :]) & (idx[None, :] <= idx[:, None])
    return torch.cat([prefix_part, own], dim=1)


def additive_mask(allowed: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[q, kv] bool -> [1, 1, q, kv] additive float mask."""
    mask = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    return mask[None, None]


def flex_block_mask(allowed: torch.Tensor):
    """FlexAttention BlockMask equivalent of `allowed` (for GPU workers)."""
    from torch.nn.attention.flex_attention import create_block_mask

    allowed = allowed.contiguous()

    def mask_mod(b, h, q_idx, kv_idx):
        return allowed[q_idx, kv_idx]

    q_len, kv_len = allowed.shape
    return create_block_mask(mask_mod, B=None, H=None, Q_LEN=q_len, KV_LEN=kv_len, device=allowed.device)


def to_attention_mask(allowed: torch.Tensor, dtype: torch.dtype, attn_implementation: str):
    if attn_implementation == "flex_attention":
        return flex_block_mask(allowed)
    return additive_mask(allowed, dtype)
