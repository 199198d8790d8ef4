"""The scorer interface the search talks to, and the score cache scorers share.

A scorer turns a labeling into leave-one-out log-odds (`evaluate`) and predicts an example's label word
log-odds given the labeled set (`predict_many`). The search never builds prompts itself, so other ways of
scoring (leave-one-fold-out, parallel-context blocks) plug in by subclassing Scorer and registering a name.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import ClassVar, Sequence

from ..backends.base import Backend, LabelLogprobs
from ..errors import ContextLengthError, InputError
from ..problem import Problem
from ..prompts import PromptBuilder

DEFAULT_CACHE_SIZE = 4096


class ScoreCache:
    """Label log-probs by prompt text (a 64-bit digest), least recently used dropped first.

    Its content is part of the search state: a resumed run must find exactly the cached scores an
    uninterrupted run would, since a prompt re-scored in another batch can differ in the last float bits.
    """

    def __init__(self, capacity: int = DEFAULT_CACHE_SIZE):
        self.capacity = capacity
        self._items: OrderedDict[str, LabelLogprobs] = OrderedDict()

    @staticmethod
    def key(prompt: str) -> str:
        return hashlib.sha256(prompt.encode()).hexdigest()[:16]

    def get(self, key: str) -> LabelLogprobs | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: str, value: LabelLogprobs) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def to_json(self) -> list:
        return [[k, v.logp_true, v.logp_false, v.exact] for k, v in self._items.items()]

    def load_json(self, rows: list) -> None:
        self._items.clear()
        try:
            for k, lt, lf, exact in rows:
                self._items[str(k)] = LabelLogprobs(None if lt is None else float(lt),
                                                    None if lf is None else float(lf), bool(exact))
        except (TypeError, ValueError) as exc:
            raise InputError(f"checkpoint: the score cache is not valid ({exc})") from None
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)


class Scorer(ABC):
    mode: ClassVar[str]

    def __init__(self, problem: Problem, backend: Backend, label_words: tuple[str, str], *,
                 cache_size: int = DEFAULT_CACHE_SIZE):
        self.problem = problem
        self.backend = backend
        self.label_words = tuple(label_words)
        self.builder = PromptBuilder([e.prompt for e in problem.examples], self.label_words)
        groups = problem.group_ids()
        # Demonstrations always appear in this order (grouped, then by position): prompts of one labeling
        # share prefixes, and a prompt's text changes only when a demonstration in it changes.
        self.order = sorted(range(len(problem)), key=lambda i: (groups[i], i))
        self.cache = ScoreCache(cache_size)
        self.tokens = 0          # model tokens this scorer made the backend process
        self.zero_scores = 0     # prompts scored so far where neither label word was found

    @classmethod
    def from_config(cls, problem: Problem, backend: Backend, config, **options) -> "Scorer":
        """Build from an ICMConfig (modes with their own settings read them here)."""
        return cls(problem, backend, tuple(config.label_words), **options)

    def settings(self) -> dict:
        """What this mode records in a run's summary."""
        return {"scoring": self.mode}

    # --- what the search calls ---

    @abstractmethod
    def evaluate(self, labels: Sequence[bool | None]) -> dict[int, LabelLogprobs]:
        """For every labeled example i: its label-word log-probs given the other labeled examples."""

    def predict_many(self, indices: Sequence[int], labels: Sequence[bool | None]) -> dict[int, LabelLogprobs]:
        """For each index: its label-word log-probs given every labeled example except itself (exact)."""
        prompts = [self.builder.prompt(self.demos(labels, exclude=i), i) for i in indices]
        return dict(zip(indices, self.score_prompts(prompts)))

    def adopt(self, labels: Sequence[bool | None]) -> None:
        """The search made `labels` its current labeling (just evaluated); a scorer may keep what they need."""

    def predict(self, index: int, labels: Sequence[bool | None]) -> LabelLogprobs:
        return self.predict_many([index], labels)[index]

    def check_context(self) -> None:
        """Refuse, before any scoring, a problem whose longest prompt would not fit the model's context."""
        limit = getattr(self.backend, "context_length", None)
        if not limit:
            return
        longest = self.longest_prompt()
        if longest is None:
            return
        tokens, description = longest
        if tokens > limit:
            raise ContextLengthError(
                f"the longest prompt this run can build has {tokens} tokens ({description}), but the model's "
                f"context window is {limit} tokens; use fewer or shorter examples")

    def longest_prompt(self) -> tuple[int, str] | None:
        """(tokens, what it is) of the longest prompt the exact semantics can build: every other example
        as a demonstration (each with its longer label word), then the query. None when the backend cannot
        count tokens."""
        count = getattr(self.backend, "count_tokens", None)
        if count is None:
            return None
        n = len(self.problem)
        demo_len, demo_label, query_len = [], [], []
        for i in range(n):
            lens = {y: count(self.builder.demonstration(i, y)) for y in (True, False)}
            q = count(self.builder.queries[i])
            if None in lens.values() or q is None:
                return None
            label = max(lens, key=lens.get)
            demo_len.append(lens[label])
            demo_label.append(label)
            query_len.append(q)
        total = sum(demo_len)
        best = max(range(n), key=lambda i: total - demo_len[i] + query_len[i])
        demos = [(j, demo_label[j]) for j in self.order if j != best]
        tokens = count(self.builder.prompt(demos, best)) or 0
        return tokens, f"{n - 1} demonstrations and the query {self.problem.examples[best].id!r}"

    # --- helpers for subclasses ---

    def demos(self, labels: Sequence[bool | None], exclude: int | None = None) -> list[tuple[int, bool]]:
        return [(j, labels[j]) for j in self.order if labels[j] is not None and j != exclude]

    def score_prompts(self, prompts: Sequence[str]) -> list[LabelLogprobs]:
        """Scores from the cache, the misses scored by the backend in one batch (in order of first need)."""
        keys = [ScoreCache.key(p) for p in prompts]
        found: dict[str, LabelLogprobs] = {}
        missing: dict[str, str] = {}
        for k, p in zip(keys, prompts):
            if k in found or k in missing:
                continue
            hit = self.cache.get(k)
            if hit is not None:
                found[k] = hit
            else:
                missing[k] = p
        if missing:
            batch = self.backend.score_batch(list(missing.values()), self.label_words)
            if len(batch.results) != len(missing):
                raise RuntimeError(f"backend returned {len(batch.results)} scores for {len(missing)} prompts")
            self.tokens += batch.tokens
            for k, r in zip(missing, batch.results):
                self.cache.put(k, r)
                found[k] = r
                if not r.found:
                    self.zero_scores += 1
        return [found[k] for k in keys]
