"""A token-counting STAND-IN for the model, and the floor of what an ICM iteration must compute.

`CountingBackend` is not a language model. It has the real tokenizer (the bundled SmolLM2's, so token counts
are the real ones), but no forward pass: its runner (`CountingRunner`, what the fast scorers call in place of
`kv_cache.ModelRunner`) counts the input tokens of every call and answers each query with a fixed, seeded
log-odds that depends only on the prompt's tokens — `base[i] + noise(digest of the whole token sequence)`, where
`base` is drawn once per example from a seeded generator (opposite orders of a comparison pair get opposite
bases). Since a score is a function of the prompt alone, any correct caching gives the same scores, the same
decisions and the same labels; only the token counts differ. Its "key/value cache" is the token ids themselves
(one layer of shape [1, 1, length, 1]), so the scorer's prefix bookkeeping runs unchanged and a runner can tell
which tokens a query sees.

`FloorMeter` records which (fold context, query) prompts each search iteration needs and counts the FLOOR:

    floor(iteration) = |T(A ∪ N)| − |T(A)|

where N is the set of prompts the iteration's scoring needs (each query scored, on the fold context its
labeling gives it: the prediction, every candidate and every consistency-fix assignment evaluated) less those
scored at any earlier point of the run (a result is two floats: remembering them all is cheap), A is the set of
prompts of the labeling adopted when the iteration starts (every labeled example's query on its fold context),
and T(S) is the set of distinct token prefixes of the prompts in S (the nodes of their token trie). That is:
every distinct prefix computed once, with perfect caching within the iteration, the adopted labeling's contexts
kept from before and every earlier result remembered; no other key/values carried over. It is the least an
implementation of the same semantics (same prompts, same decisions) that keeps only the adopted labeling's
key/values between iterations must run through the model (one that also keeps earlier candidates' contexts can
go below it). |T(S)| is Σ_k (len(s_k) − lcp(s_k, s_{k−1})) over S sorted by tokens.
"""
from __future__ import annotations

import hashlib
import math
import random
from typing import Sequence

import numpy as np
import torch

from elicitation.backends.base import BackendMixin, BatchScores, LabelLogprobs, common_prefix_length

NOISE = 0.5  # standard deviation of the per-prompt part of a stand-in score


def seeded_bases(problem, seed: int, spread: float = 1.5) -> list[float]:
    """One base log-odds per example: a seeded latent per consistency group (or example), with the sign of the
    example's key in its group (the first key seen +, any other −), plus a seeded individual part."""
    rng = random.Random(f"bases:{seed}")
    latent: dict = {}
    first_key: dict = {}
    out = []
    for i, ex in enumerate(problem.examples):
        g = ex.group if ex.group is not None else f"#{i}"
        if g not in latent:
            latent[g] = rng.gauss(0.0, spread)
            first_key[g] = ex.key
        sign = 1.0 if ex.key == first_key[g] else -1.0
        out.append(sign * latent[g] + rng.gauss(0.0, 1.0))
    return out


class StandinScores:
    """log-odds of a prompt (token ids): base of the example whose query ends it, plus seeded noise."""

    def __init__(self, bases: Sequence[float], queries: Sequence[Sequence[int]] = (), seed: int = 0):
        self.bases = list(bases)
        self.by_query = {tuple(q): i for i, q in enumerate(queries)}
        self.seed = seed

    def set_queries(self, queries) -> None:
        self.by_query = {tuple(q): i for i, q in enumerate(queries)}

    def log_odds(self, hasher, query: Sequence[int]) -> float:
        """`hasher`: blake2b already fed the context's tokens; the query's tokens are fed here."""
        h = hasher.copy()
        h.update(_bytes(query))
        u = int.from_bytes(h.digest()[:8], "big") / 2**64
        i = self.by_query.get(tuple(query))
        base = self.bases[i] if i is not None else 0.0
        return base + NOISE * _normal(u)


def _normal(u: float) -> float:
    u = min(max(u, 1e-12), 1 - 1e-12)
    return math.sqrt(2) * _erfinv(2 * u - 1)


def _erfinv(y: float) -> float:
    a = 0.147
    ln = math.log(1 - y * y)
    t = 2 / (math.pi * a) + ln / 2
    return math.copysign(math.sqrt(math.sqrt(t * t - ln / a) - t), y)


def _bytes(tokens) -> bytes:
    return np.asarray(tokens, dtype=np.int32).tobytes()


def _hasher(seed: int, context: Sequence[int]):
    h = hashlib.blake2b(f"standin:{seed}".encode(), digest_size=16)
    h.update(_bytes(context))
    return h


def kv_tokens(kv) -> list[int]:
    if not kv:
        return []
    return [int(x) for x in kv[0][0].reshape(-1).tolist()]


def tokens_kv(tokens: Sequence[int]):
    t = torch.tensor(list(tokens), dtype=torch.float64).reshape(1, 1, -1, 1)
    return ((t, t),)


class CountingRunner:
    """Stand-in for kv_cache.ModelRunner: counts input tokens, runs nothing (see the module docstring)."""

    def __init__(self, scores: StandinScores, window: int, true_id: int, false_id: int):
        self.scores = scores
        self.window = window
        self.true_id, self.false_id = true_id, false_id
        self.tokens = 0
        self.calls = 0
        self.lock = None

    @property
    def context_window(self) -> int:
        return self.window

    def forward(self, input_ids: list[int], *, past=None, positions=None, allowed=None, logits_at=None,
                want_kv: bool = True):
        self.tokens += len(input_ids)
        self.calls += 1
        context = kv_tokens(past)
        new_kv = tokens_kv(input_ids) if want_kv and input_ids else None
        if logits_at is None:
            return None, new_kv
        rows = []
        start = 0
        for end in logits_at:
            if allowed is not None:  # packed queries: each row sees the context and its own segment
                rows.append((context, input_ids[start:end + 1]))
                start = end + 1
            else:  # causal: the context and every new token up to the row
                rows.append((context + input_ids[:end], input_ids[end:end + 1]))
        width = max(self.true_id, self.false_id) + 1
        out = torch.full((len(rows), width), -math.inf, dtype=torch.float32)
        hashers: dict = {}
        for r, (ctx, query) in enumerate(rows):
            key = len(ctx)
            if key not in hashers:
                hashers[key] = _hasher(self.scores.seed, ctx)
            s = self.scores.log_odds(hashers[key], query)
            out[r, self.true_id] = -math.log1p(math.exp(-s)) if s > -30 else s
            out[r, self.false_id] = -math.log1p(math.exp(s)) if s < 30 else -s
        return out, new_kv


class CountingBackend(BackendMixin):
    """Stand-in backend (see the module docstring): the real tokenizer, a counting runner, no model."""

    kind = "stand-in"
    name = "stand-in-token-counter"
    fingerprint = "stand-in-token-counter"

    def __init__(self, tokenizer, bases: Sequence[float], *, seed: int = 0, context_length: int = 8192):
        self.tokenizer = tokenizer
        self.context_length = context_length
        self.scores = StandinScores(bases, seed=seed)
        self.seed = seed
        self.runners: list[CountingRunner] = []
        self._ids: dict = {}

    def label_token_ids(self, label_words) -> tuple[list[int], list[int]]:
        words = tuple(label_words)
        if words not in self._ids:
            self._ids[words] = tuple([self.tokenizer(w, add_special_tokens=False).input_ids[-1]] for w in words)
        return self._ids[words]

    def make_runner(self) -> CountingRunner:
        (t,), (f,) = self.label_token_ids((" True", " False"))
        runner = CountingRunner(self.scores, self.context_length, t, f)
        self.runners.append(runner)
        return runner

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def score_batch(self, prompts: Sequence[str], label_words) -> BatchScores:
        """Text prompts (exact scoring): walked in sorted order with one shared prefix, as the hf backend does."""
        encoded = [tuple(self.tokenizer(p)["input_ids"]) for p in prompts]
        unique = sorted(set(encoded))
        tokens, held, found = 0, 0, {}
        for k, seq in enumerate(unique):
            tokens += len(seq) - held
            s = self.scores.log_odds(_hasher(self.seed, ()), seq)
            found[seq] = LabelLogprobs(-math.log1p(math.exp(-s)), -math.log1p(math.exp(s)), exact=True)
            held = common_prefix_length(seq, unique[k + 1]) if k + 1 < len(unique) else 0
        return BatchScores([found[e] for e in encoded], tokens)


def load_tokenizer():
    from transformers import AutoTokenizer

    from elicitation import models

    return AutoTokenizer.from_pretrained(models.resolve("smollm2"))


# --- the floor ---

def trie_size(seqs: list[tuple]) -> int:
    """Distinct token prefixes of sequences given as tuples of pieces (each piece a tuple of token ids)."""
    ordered = sorted(set(seqs))
    total = 0
    prev = None
    for s in ordered:
        total += sum(len(p) for p in s) - (_lcp(prev, s) if prev is not None else 0)
        prev = s
    return total


def _lcp(a: tuple, b: tuple) -> int:
    n, k = min(len(a), len(b)), 0
    common = 0
    while k < n and (a[k] is b[k] or a[k] == b[k]):
        common += len(a[k])
        k += 1
    if k == n:
        return common
    x, y = a[k], b[k]
    m = common_prefix_length(x, y)
    if m == min(len(x), len(y)) and k + 1 < len(a) and k + 1 < len(b):  # one piece is a prefix of the other
        fa = [t for p in a[k:] for t in p]
        fb = [t for p in b[k:] for t in p]
        return common + common_prefix_length(fa, fb)
    return common + m


class FloorMeter:
    """Watches a FoldsScorer: records the prompts each iteration needs and counts the floor (module docstring)."""

    def __init__(self, scorer):
        from elicitation.scoring.folds import FoldPlan
        from elicitation.scoring.model_access import prompt_tokens

        self.scorer = scorer
        self.tokens = prompt_tokens(scorer)
        src = scorer.plan
        self.plan = FoldPlan(src.fold_of, rank=src.rank, max_demos=src.max_demos, seed=src.seed)
        t = self.tokens
        self._demo = {(i, y): t.demo(i, y) for i in range(len(t)) for y in (True, False)}
        self._query = [t.query(i) for i in range(len(t))]
        self._pre = (t.preamble,) if t.preamble else ()
        self.needed: set = set()
        self.adopted: set = set()
        self.adopted_size = 0
        self.seen: set = set()
        self._wrap()

    def _sequences(self, labels, queries) -> set:
        labeled = {i: bool(labels[i]) for i in range(len(labels)) if labels[i] is not None}
        self.plan.update(labeled)
        ctx: dict = {}
        out = set()
        for i in queries:
            f = self.plan.fold_of[i]
            if f not in ctx:
                ctx[f] = self._pre + tuple(self._demo[(j, labeled[j])] for j in self.plan.members(f))
            out.add(ctx[f] + (self._query[i],))
        return out

    def _wrap(self) -> None:
        scorer, meter = self.scorer, self
        evaluate, predict_many = scorer.evaluate, scorer.predict_many

        def eval_(labels):
            meter.needed |= meter._sequences(labels, [i for i, y in enumerate(labels) if y is not None])
            return evaluate(labels)

        def predict_(indices, labels):
            meter.needed |= meter._sequences(labels, list(indices))
            return predict_many(indices, labels)

        scorer.evaluate, scorer.predict_many = eval_, predict_

    def start_iteration(self, labels) -> None:
        """Call before an iteration with the adopted labels."""
        seqs = self._sequences(labels, [i for i, y in enumerate(labels) if y is not None])
        if seqs != self.adopted:
            self.adopted = seqs
            self.adopted_size = trie_size(list(seqs))
        self.seen |= self.needed  # what was scored outside iterations (initialization)
        self.needed = set()

    def end_iteration(self) -> int:
        """The iteration's floor in tokens."""
        new = self.needed - self.adopted - self.seen
        self.seen |= self.needed
        if not new:
            return 0
        return trie_size(list(self.adopted | new)) - self.adopted_size
