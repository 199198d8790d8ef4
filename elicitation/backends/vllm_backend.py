"""In-process vLLM backend for GPU workers, with prefix caching on (the engine's stable demonstration order
makes leave-one-out prompts share long prefixes). vllm is imported only when this backend is loaded: it is
the optional `gpu` extra and cannot be installed on CPU machines.

vLLM returns the top-k log-probabilities of the next token; the label words' variants found among them are
summed, as the official code does with its API models.
"""
from __future__ import annotations

from typing import Callable, Sequence

from ..errors import BackendError
from .base import BackendMixin, BatchScores, LabelLogprobs
from .label_words import sum_topk

DEFAULT_TOP_LOGPROBS = 20


def extract(output, label_words: tuple[str, str], decode: Callable[[int], str]) -> tuple[LabelLogprobs, int]:
    """(label log-probs, prompt tokens) from one vllm RequestOutput: outputs[0].logprobs[0] maps token id to a
    Logprob (with .logprob and, usually, .decoded_token)."""
    try:
        step = output.outputs[0].logprobs[0]
    except (AttributeError, IndexError, TypeError) as exc:
        raise BackendError(f"vllm returned no next-token logprobs ({exc}); is logprobs set?") from exc
    pairs = []
    for token_id, entry in step.items():
        text = getattr(entry, "decoded_token", None)
        if text is None:
            text = decode(token_id)
        pairs.append((text, float(entry.logprob)))
    lt, lf = sum_topk(pairs, label_words)
    prompt_tokens = len(getattr(output, "prompt_token_ids", None) or ())
    return LabelLogprobs(lt, lf, exact=False), prompt_tokens


class VLLMBackend(BackendMixin):
    kind = "vllm"

    def __init__(self, llm, *, name: str, top_logprobs: int = DEFAULT_TOP_LOGPROBS, path: str | None = None):
        self.llm = llm
        self.name = name
        self.path = path or name
        self._fingerprint: str | None = None
        self.top_logprobs = top_logprobs
        self.tokenizer = llm.get_tokenizer()
        try:
            self.context_length = int(llm.llm_engine.model_config.max_model_len)
        except AttributeError:
            self.context_length = None

    @classmethod
    def load(cls, path_or_name: str, *, device: str = "auto", name: str | None = None, **engine_args) -> "VLLMBackend":
        try:
            import vllm
        except ImportError as exc:
            raise BackendError("the vllm backend needs the `gpu` extra (pip install 'icm-studio[gpu]') on a "
                               "machine with a CUDA GPU") from exc
        if device == "cpu":
            raise BackendError("the vllm backend runs on GPU workers; use --backend hf for CPU")
        engine_args.setdefault("enable_prefix_caching", True)
        engine_args.setdefault("seed", 0)
        llm = vllm.LLM(model=path_or_name, **engine_args)
        return cls(llm, name=name or str(path_or_name), path=str(path_or_name))

    @property
    def fingerprint(self) -> str:
        """The weights' fingerprint (elicitation.fingerprint), computed once."""
        if self._fingerprint is None:
            from ..fingerprint import model_fingerprint

            self._fingerprint = model_fingerprint(str(self.path))
        return self._fingerprint

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text))

    def score_batch(self, prompts: Sequence[str], label_words: tuple[str, str]) -> BatchScores:
        from vllm import SamplingParams

        params = SamplingParams(max_tokens=1, temperature=0.0, logprobs=self.top_logprobs)
        outputs = self.llm.generate(list(prompts), params, use_tqdm=False)
        results, tokens = [], 0
        for out in outputs:
            scored, n = extract(out, label_words, lambda i: self.tokenizer.decode([i]))
            results.append(scored)
            tokens += n
        return BatchScores(results, tokens)
