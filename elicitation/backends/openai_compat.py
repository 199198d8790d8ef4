"""OpenAI-compatible completions backend (`--base-url`), for a model served elsewhere, such as a vLLM
server: one request per batch of prompts, max_tokens=1, top-k logprobs, standard library HTTP only.

Token counts and the context window come from vLLM's extras when the server has them (GET {base}/models
→ max_model_len, POST /tokenize); a server without them leaves the context check to the server itself.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Collection
from typing import Sequence

from ..errors import BackendError
from .base import BackendMixin, BatchScores, LabelLogprobs
from .label_words import sum_topk
from .outbound import OPENER, check_url, host_of

DEFAULT_TOP_LOGPROBS = 20
UNKNOWN = object()


class OpenAIBackend(BackendMixin):
    kind = "openai"

    def __init__(self, base_url: str, model: str | None = None, *, top_logprobs: int = DEFAULT_TOP_LOGPROBS,
                 timeout: float = 300.0, batch_size: int = 64, api_key: str | None = None,
                 allowed_hosts: Collection[str] | None = None):
        """`allowed_hosts` ("host" or "host:port" entries): when given, every request (and so the API key)
        goes only to a listed host; the studio's worker always gives it (STUDIO_BACKEND_HOSTS). None (the
        command line) allows the host the user typed. Credentials in the URL are refused either way."""
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise BackendError(f"the openai backend needs --base-url http(s)://host:port/v1, got {base_url!r}")
        host_of(base_url)
        self.allowed_hosts = None if allowed_hosts is None else tuple(allowed_hosts)
        if self.allowed_hosts is not None:
            check_url(base_url, self.allowed_hosts)
        self.base_url = base_url.rstrip("/")
        self.top_logprobs = top_logprobs
        self.timeout = timeout
        self.batch_size = batch_size
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self._models = UNKNOWN
        self._tokenize_ok = True
        self.model = model or self._first_model()
        self.name = f"{self.model} @ {self.base_url}"

    @property
    def fingerprint(self) -> str:
        """The server's weights are out of sight: its base URL and model name stand for them."""
        from ..fingerprint import remote_fingerprint

        return remote_fingerprint(self.base_url, self.model)

    # --- HTTP ---

    def _request(self, url: str, payload: dict | None = None) -> dict:
        if self.allowed_hosts is not None:
            check_url(url, self.allowed_hosts)  # before anything (the key above all) is sent
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(url, data=data, method="GET" if payload is None else "POST")
        req.add_header("Content-Type", "application/json")
        if self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with OPENER.open(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode())
        except urllib.error.HTTPError as exc:
            # A status line only: the reply's body is the server's to show, not the run page's.
            raise BackendError(f"{url}: HTTP {exc.code} {_short(exc.reason)}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise BackendError(f"{url}: cannot connect ({_short(getattr(exc, 'reason', None) or type(exc).__name__)})") from None
        except ValueError:
            raise BackendError(f"{url}: the reply is not JSON") from None

    def _model_list(self) -> list[dict]:
        if self._models is UNKNOWN:
            try:
                self._models = self._request(f"{self.base_url}/models").get("data") or []
            except BackendError:
                self._models = []
        return self._models

    def _first_model(self) -> str:
        models = self._model_list()
        if not models:
            raise BackendError(f"no model named and {self.base_url}/models lists none; pass --model")
        return str(models[0]["id"])

    # --- protocol ---

    @property
    def context_length(self) -> int | None:
        for entry in self._model_list():
            if entry.get("id") == self.model and isinstance(entry.get("max_model_len"), int):
                return entry["max_model_len"]
        return None

    def count_tokens(self, text: str) -> int | None:
        if not self._tokenize_ok:
            return None
        root = self.base_url[:-3] if self.base_url.endswith("/v1") else self.base_url
        try:
            reply = self._request(f"{root}/tokenize", {"model": self.model, "prompt": text})
            return int(reply["count"])
        except (BackendError, KeyError, TypeError, ValueError):
            self._tokenize_ok = False
            return None

    def score_batch(self, prompts: Sequence[str], label_words: tuple[str, str]) -> BatchScores:
        prompts = list(prompts)
        results: list[LabelLogprobs] = []
        tokens = 0
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start:start + self.batch_size]
            reply = self._request(f"{self.base_url}/completions", {
                "model": self.model, "prompt": chunk, "max_tokens": 1, "temperature": 0,
                "logprobs": self.top_logprobs, "echo": False,
            })
            scored, used = parse_completions(reply, len(chunk), label_words)
            results.extend(scored)
            tokens += used
        return BatchScores(results, tokens)


def _short(text) -> str:
    """At most 80 printable characters of a reason phrase (it comes from the server)."""
    return re.sub(r"[^ -~]", "?", str(text))[:80]


def parse_completions(reply: dict, expected: int, label_words: tuple[str, str]) -> tuple[list[LabelLogprobs], int]:
    """Label log-probs per prompt from a completions reply (choices carry `index` and
    logprobs.top_logprobs[0], a mapping token -> logprob), plus usage.prompt_tokens."""
    choices = reply.get("choices")
    if not isinstance(choices, list) or len(choices) != expected:
        raise BackendError(f"completions reply has {len(choices) if isinstance(choices, list) else 'no'} choices "
                           f"for {expected} prompts")
    out: list[LabelLogprobs | None] = [None] * expected
    for position, choice in enumerate(choices):
        index = choice.get("index", position)
        try:
            top = choice["logprobs"]["top_logprobs"][0] or {}
        except (KeyError, IndexError, TypeError):
            raise BackendError("completions reply has no logprobs.top_logprobs; does the server support "
                               "logprobs?") from None
        lt, lf = sum_topk(top, label_words)
        if not (0 <= index < expected) or out[index] is not None:
            raise BackendError(f"completions reply has a bad or repeated choice index {_short(repr(index))}")
        out[index] = LabelLogprobs(lt, lf, exact=False)
    usage = reply.get("usage") or {}
    return out, int(usage.get("prompt_tokens") or 0)  # type: ignore[return-value]
