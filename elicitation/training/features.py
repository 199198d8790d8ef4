"""The feature rule for trained conditions, and the file store that computes each feature vector once.

FEATURE_RULE: the model's final hidden state — after the final norm, i.e. the vector the LM head reads — at the
last token of the example's zero-shot prompt, exactly the query the engine scores zero-shot (`PromptBuilder`:
the example's prompt, trailing spaces and tabs stripped when a label word starts with whitespace). The rule is
fixed and documented; nothing about it is tuned on any labels.

Prompts are tokenized as the backend scores them, right-padded into batches (causal attention: a real token
never sees the padding after it), and each row's vector is read at its own last real token. The torch thread
count is whatever the backend set (ICM_TORCH_THREADS); this module does not change it.

FeatureStore keeps one float32 .npy per (model fingerprint, sha256 of the rendered prompt), so every condition,
repeat and later evaluation with the same model reads vectors computed once.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError
from ..prompts import PromptBuilder

FEATURE_RULE = "final-hidden-last-token/v1"
DEFAULT_LABEL_WORDS = (" True", " False")


class TrainingStopped(Exception):
    """should_stop() returned true between batches; nothing partial was returned (stored vectors stay)."""


def zero_shot_prompt(prompt: str, label_words: Sequence[str] = DEFAULT_LABEL_WORDS) -> str:
    """The prompt the engine scores zero-shot for this example (the query, no demonstrations)."""
    return PromptBuilder([prompt], tuple(label_words)).queries[0]


def prompt_digest(rendered: str) -> str:
    return hashlib.sha256(rendered.encode("utf-8")).hexdigest()


class FeatureStore:
    """Feature vectors on disk: root/<fingerprint[:16]>/<sha[:2]>/<sha>.npy (sha = sha256 of the rendered
    prompt). Writes are atomic (temporary file, then rename). `hits` / `misses` count lookups since creation
    or the last reset_counts()."""

    def __init__(self, root_dir: str | os.PathLike):
        self.root = Path(root_dir).expanduser()
        self.hits = 0
        self.misses = 0

    def reset_counts(self) -> None:
        self.hits = self.misses = 0

    def path(self, fingerprint: str, rendered: str) -> Path:
        if not fingerprint:
            raise InputError("feature store: the model has no fingerprint; features cannot be cached by model")
        sha = prompt_digest(rendered)
        return self.root / str(fingerprint)[:16] / sha[:2] / f"{sha}.npy"

    def get(self, fingerprint: str, rendered: str) -> np.ndarray | None:
        p = self.path(fingerprint, rendered)
        try:
            vector = np.load(p, allow_pickle=False)
        except (FileNotFoundError, ValueError, OSError):
            self.misses += 1
            return None
        self.hits += 1
        return vector

    def put(self, fingerprint: str, rendered: str, vector: np.ndarray) -> None:
        p = self.path(fingerprint, rendered)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=p.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, np.asarray(vector, dtype=np.float32), allow_pickle=False)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def count_prompt_tokens(backend, prompts: Sequence[str], label_words: Sequence[str] = DEFAULT_LABEL_WORDS
                        ) -> list[int]:
    """Tokens of each rendered zero-shot prompt (a feature costs one forward pass over these tokens)."""
    return [len(backend._encode(zero_shot_prompt(p, label_words))) for p in prompts]


def compute_features(backend, prompts: Sequence[str], store: FeatureStore | None = None, *,
                     label_words: Sequence[str] = DEFAULT_LABEL_WORDS, batch_size: int = 8,
                     progress: Callable[[int, int], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> np.ndarray:
    """float32 [len(prompts), hidden] feature vectors by FEATURE_RULE; `prompts` are the examples' prompts as
    stored (each rendered with zero_shot_prompt). With a store, only the prompts it lacks run through the
    model, and they are stored. progress(done, total) after each batch; should_stop() between batches raises
    TrainingStopped. `backend` must hold a transformers model (HFBackend)."""
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}")
    if not hasattr(backend, "model") or not hasattr(backend, "tokenizer"):
        raise InputError(f"trained conditions need a local transformers model (the hf backend); "
                         f"{getattr(backend, 'name', type(backend).__name__)!r} does not expose its hidden states")
    rendered = [zero_shot_prompt(p, label_words) for p in prompts]
    fingerprint = getattr(backend, "fingerprint", None) if store is not None else None
    vectors: dict[str, np.ndarray] = {}
    todo: list[str] = []
    for r in dict.fromkeys(rendered):  # unique, first-seen order
        found = store.get(fingerprint, r) if store is not None else None
        if found is None:
            todo.append(r)
        else:
            vectors[r] = found
    total, done = len(todo), 0
    if progress:
        progress(0, total)
    encoded = {r: backend._encode(r) for r in todo}
    for r, ids in encoded.items():
        if not ids:
            raise InputError(f"cannot compute features of an empty prompt ({r!r})")
    order = sorted(todo, key=lambda r: len(encoded[r]))  # similar lengths together: little padding
    for start in range(0, len(order), batch_size):
        if should_stop and should_stop():
            raise TrainingStopped(f"stopped after {done} of {total} feature vectors")
        chunk = order[start:start + batch_size]
        for r, v in zip(chunk, _last_hidden(backend, [encoded[r] for r in chunk])):
            vectors[r] = v
            if store is not None:
                store.put(fingerprint, r, v)
        done += len(chunk)
        if progress:
            progress(done, total)
    if not rendered:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([vectors[r] for r in rendered]).astype(np.float32, copy=False)


def final_hidden(model, input_ids, attention_mask):
    """[batch, length, hidden] hidden states after the final norm (what the LM head reads)."""
    body = model.get_decoder() if hasattr(model, "get_decoder") else model.base_model
    return body(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state


def _last_hidden(backend, sequences: list[Sequence[int]]) -> list[np.ndarray]:
    import torch

    width = max(len(s) for s in sequences)
    ids = torch.zeros((len(sequences), width), dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, s in enumerate(sequences):  # right padding: the real tokens keep positions 0..len-1
        ids[row, :len(s)] = torch.tensor(list(s), dtype=torch.long)
        mask[row, :len(s)] = 1
    last = torch.tensor([len(s) - 1 for s in sequences])
    lock = getattr(backend, "_lock", None)
    with (lock if lock is not None else _nolock()), torch.inference_mode():
        hidden = final_hidden(backend.model, ids.to(backend.device), mask.to(backend.device))
        picked = hidden[torch.arange(len(sequences)), last.to(hidden.device)].float().cpu().numpy()
    return list(picked)


class _nolock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
