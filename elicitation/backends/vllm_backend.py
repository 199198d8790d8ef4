"""In-process vLLM backend for GPU workers, with prefix caching on. vllm is imported only when this backend is
loaded: it is the optional `gpu` extra and cannot be installed on CPU machines.

Written against vLLM's V1 engine (the `LLM` class, `vllm.inputs.TokensPrompt`, `SamplingParams`); it has not
run on a GPU yet (none was available): tests/engine/test_vllm_backend.py checks it against a stand-in `vllm`.

- Prompts go in as token ids (`TokensPrompt`): the fast scorers build them from the pieces they tokenized once
  (elicitation.scoring.demo_tokens), so the CPU never re-tokenizes a whole prompt. Text prompts (the exact
  scorer) are tokenized here once each.
- Exact label-word log-probabilities, not the top 20: each prompt is asked for one next token with
  `allowed_token_ids` = every variant of both label words, greedy, and `logprobs=k`. vLLM computes the returned
  log-probs from the raw logits, over the whole vocabulary, BEFORE the allowed-token mask (V1's sampler, its
  default `logprobs_mode="raw_logprobs"`), and always returns the sampled token's log-prob besides the top k.
  A variant missing from that answer (a label word outside the top k) is asked for on its own: the same prompt
  with `allowed_token_ids=[that id]` and `logprobs=0` returns exactly its raw log-prob. The repeated prompt is a
  prefix-cache hit, so it costs about one token. (`prompt_logprobs` would also be exact, but vLLM turns prefix
  caching off for requests that ask for prompt log-probs.)
- Tokens: what the model computed, `len(prompt) − num_cached_tokens` per request (prefix-cache hits are not
  counted), so a run's tokens, its throughput and later estimates count the same thing as the hf backend.
- Engine limits: `max_model_len` (the run's longest prompt, rounded up; see studio's engine port) and
  `gpu_memory_utilization` are passed to the engine; the context window is read back from the engine, and a
  backend that cannot tell it refuses to start (the context check is never silently off).
- `close()` shuts the engine down and frees the GPU, for a worker that switches to another model.
- Inside a Celery worker vLLM must start its engine process with spawn (VLLM_WORKER_MULTIPROC_METHOD=spawn,
  set by `load` unless already set) and the worker should run a solo pool (`make worker` does both).
"""
from __future__ import annotations

import math
import os
from typing import Sequence

from ..errors import BackendError
from .base import BackendMixin, BatchScores, LabelLogprobs
from .label_words import canonical, logsumexp

DEFAULT_TOP_LOGPROBS = 20
DEFAULT_GPU_MEMORY_UTILIZATION = 0.9


def engine_max_model_len(llm) -> int | None:
    """The engine's context window, from wherever this vLLM version keeps it."""
    for path in ("llm_engine.model_config.max_model_len", "llm_engine.vllm_config.model_config.max_model_len",
                 "model_config.max_model_len"):
        obj = llm
        try:
            for attr in path.split("."):
                obj = getattr(obj, attr)
        except AttributeError:
            continue
        if isinstance(obj, int) and obj > 0:
            return obj
    return None


def vocabulary_label_ids(tokenizer, label_words: tuple[str, str], limit: int | None = None):
    """Every vocabulary token that decodes to a label word up to whitespace and case (as the hf backend)."""
    want = [canonical(w) for w in label_words]
    ids: tuple[list[int], list[int]] = ([], [])
    vocab = len(tokenizer) if limit is None else min(len(tokenizer), limit)
    for i, text in enumerate(tokenizer.batch_decode([[i] for i in range(vocab)])):
        c = canonical(text)
        if c == want[0]:
            ids[0].append(i)
        elif c == want[1]:
            ids[1].append(i)
    return ids


class VLLMBackend(BackendMixin):
    kind = "vllm"

    def __init__(self, llm, *, name: str, top_logprobs: int = DEFAULT_TOP_LOGPROBS, path: str | None = None,
                 max_model_len: int | None = None):
        self.llm = llm
        self.name = name
        self.path = path or name
        self._fingerprint: str | None = None
        self.top_logprobs = top_logprobs
        self.tokenizer = llm.get_tokenizer()
        self.context_length = engine_max_model_len(llm) or max_model_len
        if not self.context_length:
            raise BackendError("could not read the vLLM engine's max_model_len (the context check needs it); "
                               "set STUDIO_VLLM_MAX_MODEL_LEN so the engine is started with a known limit")
        self._word_ids: dict = {}
        self.tokens_requested = 0  # prompt tokens sent, cached or not (tokens computed are in BatchScores)

    @classmethod
    def load(cls, path_or_name: str, *, device: str = "auto", name: str | None = None,
             max_model_len: int | None = None, gpu_memory_utilization: float | None = None,
             **engine_args) -> "VLLMBackend":
        os.environ.setdefault("VLLM_WORKER_MULTIPROC_METHOD", "spawn")  # a Celery worker cannot fork CUDA
        try:
            import vllm
        except ImportError as exc:
            raise BackendError("the vllm backend needs the `gpu` extra (pip install 'icm-studio[gpu]') on a "
                               "machine with a CUDA GPU") from exc
        if device == "cpu":
            raise BackendError("the vllm backend runs on GPU workers; use --backend hf for CPU")
        engine_args.setdefault("enable_prefix_caching", True)
        engine_args.setdefault("seed", 0)
        if max_model_len:
            engine_args["max_model_len"] = min(int(max_model_len), _model_limit(path_or_name) or int(max_model_len))
        engine_args["gpu_memory_utilization"] = float(gpu_memory_utilization or DEFAULT_GPU_MEMORY_UTILIZATION)
        llm = vllm.LLM(model=path_or_name, **engine_args)
        return cls(llm, name=name or str(path_or_name), path=str(path_or_name), max_model_len=max_model_len)

    @property
    def fingerprint(self) -> str:
        """The weights' fingerprint (elicitation.fingerprint), computed once."""
        if self._fingerprint is None:
            from ..fingerprint import model_fingerprint

            self._fingerprint = model_fingerprint(str(self.path))
        return self._fingerprint

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text))

    def label_token_ids(self, label_words: tuple[str, str]) -> tuple[list[int], list[int]]:
        words = tuple(label_words)
        if words not in self._word_ids:
            ids = vocabulary_label_ids(self.tokenizer, words)
            for word, found in zip(words, ids):
                if not found:
                    raise BackendError(f"label word {word!r} is not a single token of {self.name}'s tokenizer in "
                                       "any spelling (with or without a leading space, any case)")
            self._word_ids[words] = ids
        return self._word_ids[words]

    # --- scoring ---

    def score_batch(self, prompts: Sequence[str], label_words: tuple[str, str]) -> BatchScores:
        return self.score_token_batch([tuple(self.tokenizer(p)["input_ids"]) for p in prompts], label_words)

    def score_token_batch(self, prompts: Sequence[Sequence[int]], label_words: tuple[str, str]) -> BatchScores:
        """Exact label-word log-probs at the end of each token-id prompt (module docstring)."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        true_ids, false_ids = self.label_token_ids(label_words)
        wanted = list(true_ids) + list(false_ids)
        for p in prompts:
            if not p:
                raise BackendError("cannot score an empty prompt")
            if len(p) >= self.context_length:
                raise BackendError(f"a prompt of {len(p)} tokens does not fit the engine's max_model_len "
                                   f"{self.context_length}")
        params = SamplingParams(max_tokens=1, temperature=0.0, logprobs=self.top_logprobs,
                                allowed_token_ids=wanted)
        outputs = self._generate([TokensPrompt(prompt_token_ids=list(p)) for p in prompts], params)
        found: list[dict[int, float]] = []
        tokens = 0
        for p, out in zip(prompts, outputs):
            found.append(_next_token_logprobs(out))
            tokens += _computed(out, len(p))
        # label variants the first answer did not carry (outside the top k): one request each, exact
        follow = [(k, t) for k, got in enumerate(found) for t in wanted if t not in got]
        if follow:
            requests = [TokensPrompt(prompt_token_ids=list(prompts[k])) for k, _ in follow]
            params_each = [SamplingParams(max_tokens=1, temperature=0.0, logprobs=0, allowed_token_ids=[t])
                           for _, t in follow]
            for (k, t), out in zip(follow, self._generate(requests, params_each)):
                got = _next_token_logprobs(out)
                if t not in got:
                    raise BackendError(f"vllm returned no log-prob for the allowed token {t}")
                found[k][t] = got[t]
                tokens += _computed(out, len(prompts[k]))
        results = []
        for got in found:
            lt = logsumexp(got[t] for t in true_ids)
            lf = logsumexp(got[t] for t in false_ids)
            results.append(LabelLogprobs(lt, lf, exact=True))
        return BatchScores(results, tokens)

    def _generate(self, requests, params):
        self.tokens_requested += sum(len(r["prompt_token_ids"]) for r in requests)
        outputs = self.llm.generate(requests, params, use_tqdm=False)
        if len(outputs) != len(requests):
            raise BackendError(f"vllm returned {len(outputs)} outputs for {len(requests)} requests")
        return outputs

    def close(self) -> None:
        """Shut the engine down and free its GPU memory (a worker switching models calls this first)."""
        llm, self.llm = self.llm, None
        if llm is None:
            return
        engine = getattr(llm, "llm_engine", None)
        for target in (engine, getattr(engine, "engine_core", None)):
            shutdown = getattr(target, "shutdown", None)
            if callable(shutdown):
                shutdown()
                break
        del llm, engine
        try:
            from vllm.distributed.parallel_state import destroy_distributed_environment, destroy_model_parallel

            destroy_model_parallel()
            destroy_distributed_environment()
        except Exception:  # noqa: BLE001 - older/newer vLLM without these, or nothing initialized
            pass
        import gc

        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


def _model_limit(path_or_name: str) -> int | None:
    """The model's own context length (its config), which an engine's max_model_len may not exceed."""
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(path_or_name)
    except Exception:  # noqa: BLE001 - vLLM itself reports a model it cannot read
        return None
    value = getattr(config, "max_position_embeddings", None)
    return value if isinstance(value, int) and value > 0 else None


def _next_token_logprobs(output) -> dict[int, float]:
    try:
        step = output.outputs[0].logprobs[0]
    except (AttributeError, IndexError, TypeError) as exc:
        raise BackendError(f"vllm returned no next-token logprobs ({exc}); is logprobs set?") from exc
    out = {}
    for token_id, entry in step.items():
        value = float(getattr(entry, "logprob", entry))
        out[int(token_id)] = value if math.isfinite(value) else None
    return out


def _computed(output, prompt_len: int) -> int:
    """Prompt tokens the engine computed for this request: the prompt less its prefix-cache hit."""
    cached = getattr(output, "num_cached_tokens", None)
    if cached is None:
        return prompt_len  # an engine that does not say: count all (an upper bound)
    return max(0, prompt_len - int(cached))
