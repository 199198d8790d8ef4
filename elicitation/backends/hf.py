"""Hugging Face `transformers` backend (CPU and CUDA): exact label-word log-probabilities from the full
next-token distribution, with the key/value cache of shared prefixes reused inside each batch.

How a batch is run: prompts are tokenized whole, de-duplicated and sorted, so that prompts sharing a token
prefix are neighbours. One key/value cache walks them in order: each prompt runs only the tokens after what
it shares with the previous prompt (one model call per prompt), then the cache is cropped back to what it
shares with the next one. With the engine's stable demonstration
order, leave-one-out prompt i shares demonstrations 0..i-1 with every later prompt, so a full evaluation runs
about half the tokens of running every prompt from scratch (benchmarks/score_cost.py measures it).

The backend keeps no state between calls: the scores of a batch depend only on the batch (the engine relies
on this for resumable runs). Rows run one at a time: on a CPU a long prompt already fills the matrix units,
and there is no padding to get wrong.
"""
from __future__ import annotations

import math
import os
import threading
from typing import Sequence

from ..errors import BackendError, ElicitationError, ScoringInterrupted
from .base import BackendMixin, BatchScores, LabelLogprobs, common_prefix_length
from .label_words import canonical


def cpu_threads() -> int:
    """Torch threads: ICM_TORCH_THREADS if set, else the cores this process may use."""
    env = os.environ.get("ICM_TORCH_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ElicitationError(f"ICM_TORCH_THREADS must be an integer, got {env!r}") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ElicitationError(f"device must be cpu, cuda or auto, got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ElicitationError("device 'cuda' was asked for, but torch sees no CUDA device")
    return device


class HFBackend(BackendMixin):
    kind = "hf"

    def __init__(self, model, tokenizer, *, name: str, device: str, path: str | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.device = device
        self.path = path or getattr(model, "name_or_path", None) or name  # where the weights were read
        self._fingerprint: str | None = None
        self.context_length = _context_length(model, tokenizer)
        self._word_ids: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
        self._lock = threading.Lock()  # one forward at a time per loaded model

    @classmethod
    def load(cls, path_or_name: str, *, device: str = "auto", name: str | None = None) -> "HFBackend":
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        device = pick_device(device)
        if device == "cpu":
            torch.set_num_threads(cpu_threads())
            dtype = torch.float32
        else:
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        dtype_kw = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
        try:
            tokenizer = AutoTokenizer.from_pretrained(path_or_name)
            model = AutoModelForCausalLM.from_pretrained(path_or_name, **{dtype_kw: dtype})
        except (OSError, ValueError) as exc:
            raise BackendError(f"could not load model {path_or_name!r}: {exc}") from exc
        model.to(device).eval()
        return cls(model, tokenizer, name=name or str(path_or_name), device=device, path=str(path_or_name))

    @property
    def fingerprint(self) -> str:
        """The weights' fingerprint (elicitation.fingerprint), computed once."""
        if self._fingerprint is None:
            from ..fingerprint import model_fingerprint

            self._fingerprint = model_fingerprint(str(self.path))
        return self._fingerprint

    def close(self) -> None:
        """Drop the model and free its memory (a worker switching models calls this first)."""
        self.model = None
        import gc

        gc.collect()
        if str(self.device).startswith("cuda"):
            import torch

            torch.cuda.empty_cache()

    # --- protocol ---

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def score_batch(self, prompts: Sequence[str], label_words: tuple[str, str]) -> BatchScores:
        true_ids, false_ids = self.label_token_ids(label_words)
        encoded = [self._encode(p) for p in prompts]
        with self._lock:
            by_tokens, tokens = self._run_shared(encoded, true_ids, false_ids)
        return BatchScores([by_tokens[e] for e in encoded], tokens)

    # --- label words ---

    def label_token_ids(self, label_words: tuple[str, str]) -> tuple[list[int], list[int]]:
        """Every vocabulary token that decodes to a label word up to whitespace and case."""
        label_words = tuple(label_words)
        if label_words not in self._word_ids:
            want = [canonical(w) for w in label_words]
            ids: tuple[list[int], list[int]] = ([], [])
            vocab = len(self.tokenizer)
            texts = self.tokenizer.batch_decode([[i] for i in range(vocab)])
            for i, text in enumerate(texts):
                c = canonical(text)
                if c == want[0]:
                    ids[0].append(i)
                elif c == want[1]:
                    ids[1].append(i)
            limit = self.model.get_output_embeddings().weight.shape[0]
            ids = ([i for i in ids[0] if i < limit], [i for i in ids[1] if i < limit])
            for word, found in zip(label_words, ids):
                if not found:
                    raise ElicitationError(
                        f"label word {word!r} is not a single token of {self.name}'s tokenizer in any spelling "
                        f"(with or without a leading space, any case); choose a word the model reads as one token")
            self._word_ids[label_words] = ids
        return self._word_ids[label_words]

    # --- running the model ---

    def _encode(self, text: str) -> tuple[int, ...]:
        return tuple(self.tokenizer(text)["input_ids"])

    def _forward(self, tokens: Sequence[int], cache):
        import torch

        ids = torch.tensor([list(tokens)], dtype=torch.long, device=self.device)
        out = self.model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
        return out.logits[0, -1], out.past_key_values

    def _label_logprobs(self, logits, true_ids, false_ids) -> LabelLogprobs:
        import torch

        logp = torch.log_softmax(logits.float(), dim=-1)
        lt = torch.logsumexp(logp[true_ids], dim=0).item()
        lf = torch.logsumexp(logp[false_ids], dim=0).item()
        return LabelLogprobs(lt if math.isfinite(lt) else None, lf if math.isfinite(lf) else None, exact=True)

    def _run_shared(self, encoded: list[tuple[int, ...]], true_ids, false_ids):
        """Score unique token sequences, walking them in sorted order with one prefix cache."""
        import torch
        from transformers import DynamicCache

        for e in encoded:
            if not e:
                raise ElicitationError("cannot score an empty prompt")
        unique = sorted(set(encoded))
        results: dict[tuple[int, ...], LabelLogprobs] = {}
        tokens = 0
        with torch.inference_mode():
            cache = DynamicCache()
            held = 0  # tokens of the current sequence already in the cache
            for k, seq in enumerate(unique):
                if k and self.interrupt is not None and self.interrupt():
                    raise ScoringInterrupted(tokens)
                # The cache holds what seq shares with the previous sequence; run the rest in one call, then
                # keep only what it shares with the next one.
                logits, cache = self._forward(seq[held:], cache)
                tokens += len(seq) - held
                results[seq] = self._label_logprobs(logits, true_ids, false_ids)
                held = common_prefix_length(seq, unique[k + 1]) if k + 1 < len(unique) else 0
                cache = _crop(cache, held)
        return results, tokens

    def score_naive(self, prompts: Sequence[str], label_words: tuple[str, str]) -> BatchScores:
        """Every prompt run from scratch, one at a time (the baseline benchmarks compare against)."""
        import torch

        true_ids, false_ids = self.label_token_ids(label_words)
        results, tokens = [], 0
        with self._lock, torch.inference_mode():
            for p in prompts:
                seq = self._encode(p)
                logits, _ = self._forward(seq, None)
                tokens += len(seq)
                results.append(self._label_logprobs(logits, true_ids, false_ids))
        return BatchScores(results, tokens)


def _crop(cache, length: int):
    from transformers import DynamicCache

    if length <= 0:
        return DynamicCache()
    current = cache.get_seq_length()
    if current > length:
        cache.crop(length - current)  # a negative argument removes that many tokens (transformers 4 and 5)
    return cache


def _context_length(model, tokenizer) -> int | None:
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(model.config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    if isinstance(value, int) and 0 < value < 10**7:
        return value
    return None
