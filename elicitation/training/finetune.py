"""The `finetune` trainer (the paper's setting): LoRA adapters (peft) trained so that the label words' log-odds
at the zero-shot prompt's last position predict the source's labels (binary cross-entropy on
log P(true word) − log P(false word), each word summed over its spellings as the backend scores them).

Runs on CUDA (GPU workers) and, with a small step budget, on the CPU for the bundled model. The adapter is a
peft folder (adapter_config.json + weights) plus icm-adapter.json (base model fingerprint, label words, the
feature-free recipe), so it can be downloaded and loaded on the same base model with peft.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError
from .features import DEFAULT_LABEL_WORDS, TrainingStopped, zero_shot_prompt

MAX_RANK = 256
MAX_STEPS = 100_000
META = "icm-adapter.json"
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass
class Adapter:
    path: str
    base_fingerprint: str | None
    label_words: tuple[str, str]
    steps: int
    lr: float
    rank: int
    seed: int
    batch_size: int
    n_train: int
    label_counts: dict
    losses: list = field(default_factory=list)   # mean training loss per step
    seconds: float = 0.0
    tokens: int = 0                              # prompt tokens run forward and backward
    degenerate: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kind"] = "lora-adapter"
        d["label_words"] = list(self.label_words)
        return d


def check_finetune_options(steps, lr, rank, batch_size=4) -> None:
    """Refuse, naming the option, a step count, learning rate, rank or batch size finetune cannot use."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise InputError(f"steps must be an integer from 1 to {MAX_STEPS}, got {steps!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0 or lr > 1:
        raise InputError(f"lr must be a number above 0 and at most 1, got {lr!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= MAX_RANK:
        raise InputError(f"rank must be an integer from 1 to {MAX_RANK}, got {rank!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= 1024:
        raise InputError(f"batch_size must be an integer from 1 to 1024, got {batch_size!r}")


def _load(model, device: str):
    """(fresh transformers model, tokenizer, path, fingerprint, device) from an HFBackend or a model folder. A
    backend's own model is never modified: a fresh copy of its weights is loaded."""
    from ..backends.hf import HFBackend
    from ..fingerprint import model_fingerprint

    if isinstance(model, HFBackend):
        path, fp = str(model.path), model.fingerprint
        device = model.device if device == "auto" else device
    else:
        path = str(model)
        if not Path(path).expanduser().exists():
            raise InputError(f"finetune: model folder {path!r} does not exist")
        fp = model_fingerprint(path)
    fresh = HFBackend.load(path, device=device)
    return fresh, fp


def _batch_log_odds(backend, sequences, true_ids, false_ids):
    """Label-word log-odds at each sequence's last token (right padding), with gradients."""
    import torch

    width = max(len(s) for s in sequences)
    ids = torch.zeros((len(sequences), width), dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, s in enumerate(sequences):
        ids[row, :len(s)] = torch.tensor(list(s), dtype=torch.long)
        mask[row, :len(s)] = 1
    last = torch.tensor([len(s) - 1 for s in sequences])
    keep = width - int(last.min())  # logits only for the positions some row ends at or after
    out = backend.model(input_ids=ids.to(backend.device), attention_mask=mask.to(backend.device),
                        use_cache=False, logits_to_keep=keep)
    logits = out.logits[torch.arange(len(sequences)), (last - (width - keep)).to(out.logits.device)].float()
    logp = torch.log_softmax(logits, dim=-1)
    t = torch.logsumexp(logp[:, true_ids], dim=-1)
    f = torch.logsumexp(logp[:, false_ids], dim=-1)
    return t - f


def finetune(model, prompts: Sequence[str], labels: Sequence[bool], *, out_dir,
             label_words: Sequence[str] = DEFAULT_LABEL_WORDS, steps: int = 32, lr: float = 1e-3, rank: int = 8,
             seed: int = 0, batch_size: int = 4, device: str = "auto",
             progress: Callable[[int, int], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> Adapter:
    """Train LoRA adapters on (prompts, the source's labels) for `steps` steps of `batch_size` items (items drawn
    in seeded shuffled passes) with AdamW at `lr`; save the adapter at out_dir. progress(step, steps) after each
    step; should_stop() between steps raises TrainingStopped (nothing is saved)."""
    import torch
    from peft import LoraConfig, get_peft_model

    check_finetune_options(steps, lr, rank, batch_size)
    label_words = tuple(label_words)
    if len(prompts) != len(labels):
        raise InputError(f"{len(prompts)} prompts but {len(labels)} labels")
    if not prompts:
        raise InputError("no labeled training items")
    if any(not isinstance(v, (bool, np.bool_)) for v in labels):
        raise InputError("labels must be true/false")
    started = time.monotonic()
    backend, fingerprint = _load(model, device)
    torch.manual_seed(seed)
    names = {n.rsplit(".", 1)[-1] for n, _ in backend.model.named_modules()}
    targets = [t for t in TARGETS if t in names] or "all-linear"
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=targets, bias="none")
    backend.model = get_peft_model(backend.model, config)
    backend.model.train()
    true_ids, false_ids = backend.label_token_ids(label_words)
    encoded = [backend._encode(zero_shot_prompt(p, label_words)) for p in prompts]
    target = torch.tensor([1.0 if y else 0.0 for y in labels])
    params = [p for p in backend.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    queue: list[int] = []
    losses, tokens = [], 0
    if progress:
        progress(0, steps)
    for step in range(steps):
        if should_stop and should_stop():
            raise TrainingStopped(f"stopped after {step} of {steps} steps")
        batch = []
        while len(batch) < min(batch_size, len(encoded)):
            if not queue:
                queue = list(range(len(encoded)))
                rng.shuffle(queue)
            batch.append(queue.pop())
        odds = _batch_log_odds(backend, [encoded[i] for i in batch], true_ids, false_ids)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(odds, target[batch].to(odds.device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        tokens += sum(len(encoded[i]) for i in batch)
        if progress:
            progress(step + 1, steps)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    backend.model.save_pretrained(str(out))
    n_true = sum(1 for y in labels if y)
    adapter = Adapter(path=str(out), base_fingerprint=fingerprint, label_words=label_words, steps=steps, lr=lr,
                      rank=rank, seed=seed, batch_size=batch_size, n_train=len(labels),
                      label_counts={"true": n_true, "false": len(labels) - n_true}, losses=losses,
                      seconds=round(time.monotonic() - started, 3), tokens=tokens,
                      degenerate=n_true in (0, len(labels)))
    (out / META).write_text(json.dumps(adapter.to_dict(), indent=1))
    return adapter


def score_with_adapter(model, adapter_path, prompts: Sequence[str], *,
                       label_words: Sequence[str] = DEFAULT_LABEL_WORDS, device: str = "auto") -> np.ndarray:
    """Label-word log-odds of each zero-shot prompt under base model + adapter (merged for scoring)."""
    from peft import PeftModel

    path = Path(adapter_path)
    if not (path / "adapter_config.json").is_file():
        raise InputError(f"{str(path)!r} is not an adapter folder (no adapter_config.json)")
    backend, fingerprint = _load(model, device)
    meta_file = path / META
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text())
        if meta.get("base_fingerprint") and fingerprint and meta["base_fingerprint"] != fingerprint:
            raise InputError(f"adapter {str(path)!r} was trained on model {meta['base_fingerprint'][:12]}…, "
                             f"not on {fingerprint[:12]}…")
    backend.model = PeftModel.from_pretrained(backend.model, str(path)).merge_and_unload().eval()
    return np.asarray(backend.score([zero_shot_prompt(p, label_words) for p in prompts], *label_words))
