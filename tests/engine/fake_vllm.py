"""A STAND-IN for the `vllm` package (vLLM needs a CUDA GPU and cannot be installed here): the few names the
vLLM backend uses — `LLM`, `SamplingParams`, `inputs.TokensPrompt`, `distributed.parallel_state` — behaving as
vLLM's V1 engine documents them, over a scripted "model":

- a character tokenizer (one token per character, ids 0..255) plus label tokens " True", "True", " False",
  "false" (ids 256..259), vocabulary 300;
- next-token log-probs: a seeded function of the prompt's ids over the whole vocabulary, where thirty filler
  tokens always outrank the label tokens when the prompt ends in "!" (so the label words fall outside any
  top 20);
- `generate`: returns, per request, the raw log-probs (computed BEFORE `allowed_token_ids`, as V1's default
  `logprobs_mode="raw_logprobs"`) of the top `logprobs` tokens plus the greedily sampled allowed token; a
  prefix cache of 16-token blocks across calls gives `num_cached_tokens` (a fully cached prompt still
  recomputes its last token, as vLLM does);
- `llm_engine.model_config.max_model_len`, `llm_engine.shutdown()`, and a registry of every LLM made and
  shut down, so tests can check what a worker loads and releases.
"""
from __future__ import annotations

import hashlib
import math
import random
import sys
import types
from dataclasses import dataclass

VOCAB = 300
LABELS = {256: " True", 257: "True", 258: " False", 259: "false"}
BLOCK = 16

made: list["LLM"] = []
events: list[str] = []


class Encoding(dict):
    """What a Hugging Face tokenizer returns: ["input_ids"] and .input_ids."""

    def __getattr__(self, name):
        return self[name]


class Tokenizer:
    def __len__(self) -> int:
        return VOCAB

    def encode(self, text: str) -> list[int]:
        ids, k = [], 0
        words = sorted(LABELS.items(), key=lambda kv: -len(kv[1]))
        while k < len(text):
            for i, w in words:
                if text.startswith(w, k) and (k + len(w) == len(text) or not text[k + len(w)].isalnum()):
                    ids.append(i)
                    k += len(w)
                    break
            else:
                ids.append(min(ord(text[k]), 255))
                k += 1
        return ids

    def __call__(self, text: str, add_special_tokens: bool = True):
        return Encoding(input_ids=self.encode(text))

    def decode(self, ids) -> str:
        return "".join(LABELS.get(i, chr(i) if i < 256 else f"<{i}>") for i in ids)

    def batch_decode(self, batch) -> list[str]:
        return [self.decode(ids) for ids in batch]


def next_logprobs(ids: list[int]) -> list[float]:
    """The scripted model's log-softmax over the vocabulary after `ids`."""
    rng = random.Random(hashlib.sha256(bytes(str(ids), "utf8")).digest())
    logits = [rng.gauss(0, 1) for _ in range(VOCAB)]
    for i in LABELS:
        logits[i] += 2.0
    if ids and ids[-1] == ord("!"):
        for i in range(40, 70):
            logits[i] += 12.0  # thirty fillers above every label token
    top = max(logits)
    z = top + math.log(sum(math.exp(x - top) for x in logits))
    return [x - z for x in logits]


@dataclass
class SamplingParams:
    max_tokens: int = 16
    temperature: float = 1.0
    logprobs: int | None = None
    allowed_token_ids: list[int] | None = None
    prompt_logprobs: int | None = None


@dataclass
class Logprob:
    logprob: float
    rank: int | None = None
    decoded_token: str | None = None


@dataclass
class CompletionOutput:
    token_ids: list[int]
    logprobs: list[dict]


@dataclass
class RequestOutput:
    prompt_token_ids: list[int]
    outputs: list[CompletionOutput]
    num_cached_tokens: int = 0


def TokensPrompt(prompt_token_ids):  # noqa: N802 - vLLM's TypedDict is called like a class
    return {"prompt_token_ids": list(prompt_token_ids)}


@dataclass
class ModelConfig:
    max_model_len: int


@dataclass
class Engine:
    model_config: ModelConfig
    owner: "LLM"
    shut: bool = False

    def shutdown(self):
        self.shut = True
        events.append(f"shutdown {self.owner.model}")


class LLM:
    def __init__(self, model: str, **engine_args):
        self.model = model
        self.engine_args = engine_args
        self.llm_engine = Engine(ModelConfig(int(engine_args.get("max_model_len") or 4096)), self)
        self.requests: list[tuple[list[int], SamplingParams]] = []
        self._blocks: set = set()
        made.append(self)
        events.append(f"load {model}")

    def get_tokenizer(self):
        return Tokenizer()

    def generate(self, prompts, params, use_tqdm=True):
        if self.llm_engine.shut:
            raise RuntimeError("engine is shut down")
        if not isinstance(params, list):
            params = [params] * len(prompts)
        outs = []
        for request, p in zip(prompts, params):
            if not isinstance(request, dict):
                raise TypeError("this stand-in takes TokensPrompt requests only")
            ids = request["prompt_token_ids"]
            if len(ids) > self.llm_engine.model_config.max_model_len:
                raise ValueError("prompt longer than max_model_len")
            self.requests.append((list(ids), p))
            outs.append(self._one(ids, p))
        return outs

    def _one(self, ids: list[int], p: SamplingParams) -> RequestOutput:
        cached = 0
        for end in range(BLOCK, len(ids) + 1, BLOCK):
            if tuple(ids[:end]) in self._blocks:
                cached = end
            else:
                break
        cached = min(cached, len(ids) - 1)
        for end in range(BLOCK, len(ids) + 1, BLOCK):
            self._blocks.add(tuple(ids[:end]))
        lp = next_logprobs(ids)
        allowed = p.allowed_token_ids or list(range(VOCAB))
        sampled = max(allowed, key=lambda i: lp[i])
        ranked = sorted(range(VOCAB), key=lambda i: -lp[i])
        step = {i: Logprob(lp[i], ranked.index(i) + 1) for i in ranked[: p.logprobs or 0]}
        step[sampled] = Logprob(lp[sampled], ranked.index(sampled) + 1)
        return RequestOutput(list(ids), [CompletionOutput([sampled], [step])], num_cached_tokens=cached)


def install(monkeypatch) -> types.ModuleType:
    """Put this stand-in in sys.modules as `vllm` (and its submodules) for one test."""
    made.clear()
    events.clear()
    module = sys.modules[__name__]
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = TokensPrompt
    distributed = types.ModuleType("vllm.distributed")
    parallel = types.ModuleType("vllm.distributed.parallel_state")
    parallel.destroy_model_parallel = lambda: events.append("destroy_model_parallel")
    parallel.destroy_distributed_environment = lambda: None
    fake = types.ModuleType("vllm")
    fake.LLM, fake.SamplingParams, fake.TokensPrompt, fake.inputs = LLM, SamplingParams, TokensPrompt, inputs
    fake.__stand_in__ = module
    for name, mod in (("vllm", fake), ("vllm.inputs", inputs), ("vllm.distributed", distributed),
                      ("vllm.distributed.parallel_state", parallel)):
        monkeypatch.setitem(sys.modules, name, mod)
    return fake
