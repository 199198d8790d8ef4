"""Leave-one-fold-out scoring, `--scoring folds` (the paper's v2 Appendix G, "Scalable ICM").

Example i is scored by P(y_i | x_i, D \\ fold(i)) instead of P(y_i | x_i, D \\ i). Examples are put in folds
once per run (seeded; a consistency group never straddles folds). Each fold has one ordinary causal
context: the labeled examples of all other folds, in one stable order. Its key/value cache is kept, and every
query of the fold runs on top of it in one packed forward pass (a 4D mask keeps the queries apart).

Each context is recomputed only from the first token that differs after a label change. Where a changed
example sits in the order is a choice (`placement`):
- "stable" (default): the engine's stable demonstration order, so a fold's prompt is exactly the exact
  scorer's prompt minus the fold's own demonstrations; a change recomputes from its position (on average
  half of each affected context);
- "arrival": examples in the order they were first labeled; a newly labeled example joins the end, so
  proposing a label for an unlabeled example reruns only its own demonstration in each context, while a
  changed label keeps its place (and costs what it costs under "stable"). Measured on 128 SST-2 sentences
  (seed 0, 150 iterations, calibrate center) it stalls the search: 14 of 127 proposals for unlabeled
  examples were accepted against 70 of 92 with "stable" (22 labeled at the end against 78), since the new
  demonstration sits in the most influential slot of every context. Offered for speed only;
- "recent-last": changed and newly labeled examples move to the end, so relabeling a recently changed
  example costs a few tokens per context. Measured with the bundled model on 16 SST-2 sentences (40
  iterations, calibrate center), it biases the search: the proposed example always sits in the last, most
  influential demonstration slot, rejected proposals averaged ΔU −17 against −5 to −7 with "stable", and
  4 of 30 proposals were accepted against 12 of 22 and 14 of 27. So it is an option for speed only.
Semantics stay those of ordinary in-context learning; only 1/F of the demonstrations is missing.

With vLLM (a backend with `score_token_batch`) the same prompts are sent as token ids, built from the pieces
tokenized once; every query of a fold shares its context as a prefix, which vLLM's prefix caching reuses, and
scores are cached by (digest of the fold context's tokens, query). An OpenAI-compatible server gets text.
"""
from __future__ import annotations

import json
import random
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence

from ..backends.base import LabelLogprobs, common_prefix_length
from ..errors import ElicitationError, InputError
from .base import DEFAULT_CACHE_SIZE, ScoreCache, Scorer
from .context_limits import check_fits, demo_subset
from .model_access import as_label_logprobs, has_model, make_runner, prompt_tokens

DEFAULT_FOLDS = 4


def folds_for_context(examples: int, demo_tokens: float, window: int, *, max_demos: int | None = None,
                      most: int = DEFAULT_FOLDS, least: int = 2) -> int:
    """The fold count for a context window: the most folds (at most `most`; fewer demonstrations left out of
    each query's prompt) whose context — the other folds' examples, (F−1)/F of them, at most max_demos — plus a
    query fits `window` tokens. When not even `least` folds fit, `most` (the scorer's context check then asks for
    --max-demos)."""
    for folds in range(most, least - 1, -1):
        demos = -(-examples * (folds - 1) // folds)
        if max_demos is not None:
            demos = min(demos, max_demos)
        if (demos + 1) * demo_tokens <= window:
            return folds
    return most


def assign_folds(groups: Sequence[Hashable | None], folds: int, seed: int) -> list[int]:
    """Seeded fold of each example; all members of a consistency group share a fold.

    Groups (singletons for examples whose group is None) are shuffled with the seed, then placed largest
    first on the fold with the fewest examples, so folds stay balanced.
    """
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ElicitationError(f"folds must be an integer of at least 2, got {folds!r}")
    units: dict = {}
    for i, g in enumerate(groups):
        units.setdefault(("g", g) if g is not None else ("i", i), []).append(i)
    if len(units) < folds:
        raise ElicitationError(
            f"folds={folds} but there are only {len(units)} groups/examples to spread over them; use fewer folds")
    order = list(units.values())
    random.Random(seed).shuffle(order)
    order.sort(key=len, reverse=True)  # stable: ties keep the seeded order
    sizes = [0] * folds
    fold_of = [0] * len(groups)
    for members in order:
        f = min(range(folds), key=lambda k: (sizes[k], k))
        sizes[f] += len(members)
        for i in members:
            fold_of[i] = f
    return fold_of


class FoldPlan:
    """Which labeled examples each fold's context holds, and in which order (no model involved).

    placement "stable": labeled examples in `rank` order. "arrival": examples keep their place, newly labeled
    ones join the end in `rank` order. "recent-last": as "arrival", but examples whose label changed also move
    to the end (keeping their relative order). Except under "stable", scores depend on the history of labels,
    so the order is part of a run's state (`state_dict`).
    """

    PLACEMENTS = ("arrival", "recent-last", "stable")

    def __init__(self, fold_of: list[int], *, rank: Sequence[int] | None = None, max_demos: int | None = None,
                 seed: int = 0, placement: str = "stable"):
        if placement not in self.PLACEMENTS:
            raise ElicitationError(f"fold placement must be one of {self.PLACEMENTS}, got {placement!r}")
        self.placement = placement
        self.fold_of = list(fold_of)
        self.folds = max(fold_of) + 1
        self.rank = list(rank) if rank is not None else list(range(len(fold_of)))
        self.max_demos = max_demos
        self.seed = seed
        self.order: list[int] = []
        self.labels: dict[int, bool] = {}

    def update(self, labels: dict[int, bool]) -> None:
        if self.placement == "stable":
            self.order = sorted(labels, key=lambda i: self.rank[i])
            self.labels = {i: bool(labels[i]) for i in self.order}
            return
        changed = [] if self.placement == "arrival" else [
            i for i in self.order if i in labels and bool(labels[i]) != self.labels[i]]
        moved = set(changed)
        kept = [i for i in self.order if i in labels and i not in moved]
        new = sorted((i for i in labels if i not in self.labels), key=lambda i: self.rank[i])
        self.order = kept + changed + new
        self.labels = {i: bool(labels[i]) for i in self.order}

    def members(self, f: int) -> list[int]:
        """Fold f's demonstrations in context order: labeled examples of other folds (a seeded subset of at
        most max_demos of them when set)."""
        members = [i for i in self.order if self.fold_of[i] != f]
        if self.max_demos is not None:
            keep = demo_subset(members, self.max_demos, self.seed, f"fold{f}")
            members = [i for i in members if i in keep]
        return members

    def state_dict(self) -> dict:
        return {"order": [[i, self.labels[i]] for i in self.order]}

    def load_state_dict(self, state: dict) -> None:
        try:
            pairs = [(int(i), bool(y)) for i, y in state["order"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"checkpoint: the folds order is not valid ({exc})") from None
        if any(not 0 <= i < len(self.fold_of) for i, _ in pairs):
            raise InputError("checkpoint: the folds order names examples the problem does not have")
        self.order = [i for i, _ in pairs]
        self.labels = dict(pairs)


def _chunks(items: list, sizes: list[int], budget: int):
    chunk, used = [], 0
    for item, size in zip(items, sizes):
        if chunk and used + size > budget:
            yield chunk
            chunk, used = [], 0
        chunk.append(item)
        used += size
    if chunk:
        yield chunk


class _Context:
    """One version of a fold's context: its tokens, their digest, and their key/values as a list of segments.

    A context made from another one shares the other's segments (views, never copies) up to where they differ
    and holds only its own new tokens' key/values. Query results live in FoldContexts' memo, keyed by the
    digest, so they outlive the context's key/values.
    """

    __slots__ = ("tokens", "digest", "parts")

    def __init__(self, tokens: tuple = (), parts: list | None = None):
        self.tokens = tokens
        self.digest = token_digest(tokens)
        self.parts = parts or []


def token_digest(tokens: Sequence[int]) -> bytes:
    """A 128-bit digest of a token sequence (the memo's key for a fold context)."""
    import hashlib

    import numpy as np

    return hashlib.blake2b(np.asarray(tokens, dtype=np.int64).tobytes(), digest_size=16).digest()


def _prefix_parts(parts: list, length: int) -> list:
    """The segments covering the first `length` tokens (views of the given ones; nothing copied)."""
    from .kv_cache import kv_len, kv_slice

    out, used = [], 0
    for part in parts:
        if used >= length:
            break
        n = kv_len(part)
        out.append(part if used + n <= length else kv_slice(part, 0, length - used))
        used += min(n, length - used)
    return out


class FoldContexts:
    """Model-level `folds` scoring: per-fold contexts, their key/value caches, and remembered query results.

    - The contexts of the ADOPTED labeling (`pin`, called by the scorer when the search adopts labels) are
      held apart from the candidates' and never evicted by them: the next proposal, a rejected candidate's way
      back and every prediction start from them.
    - Up to `versions` candidate contexts per fold are held besides (the consistency fix compares
      assignments that share most of their context).
    - A new context shares the key/values of the held one with the longest common prefix (views, never full
      copies) and computes only the rest; its segments are joined only for the duration of a forward pass.
    - Query results are remembered by (digest of the fold context's tokens, query), whatever context version
      held them: a labeling seen before costs nothing.
    """

    MAX_PARTS = 8            # a pinned context with more segments is joined into one (bounded forward overhead)
    MEMO_SIZE = 1 << 18      # remembered query results (two floats each)

    def __init__(self, runner, tokens, fold_of: list[int] | None = None, *, plan: FoldPlan | None = None,
                 max_demos: int | None = None, seed: int = 0, placement: str = "stable",
                 query_token_budget: int = 1024, versions: int = 4):
        if plan is None:
            plan = FoldPlan(fold_of, max_demos=max_demos, seed=seed, placement=placement)
        if len(plan.fold_of) != len(tokens):
            raise ValueError(f"{len(plan.fold_of)} fold assignments for {len(tokens)} examples")
        self.runner = runner
        self.tokens = tokens
        self.plan = plan
        self.folds = plan.folds
        self.query_token_budget = query_token_budget
        self.versions = max(1, versions)
        self._pinned: list[_Context | None] = [None] * self.folds
        self._recent: list[list[_Context]] = [[] for _ in range(self.folds)]  # most recent first
        self._memo: OrderedDict = OrderedDict()
        self.check_context_window()

    # what the tests and the benchmark read
    @property
    def order(self) -> list[int]:
        return self.plan.order

    def context_members(self, f: int) -> list[int]:
        return self.plan.members(f)

    def state_dict(self) -> dict:
        return self.plan.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.plan.load_state_dict(state)
        self._pinned = [None] * self.folds
        self._recent = [[] for _ in range(self.folds)]
        self._memo.clear()

    def check_context_window(self) -> None:
        """Refuse before scoring if a fold's prompt, with every example labeled, would not fit."""
        t, plan = self.tokens, self.plan
        for f in range(self.folds):
            demos = sorted((t.longest_demo(i) for i in range(len(t)) if plan.fold_of[i] != f), reverse=True)
            if plan.max_demos is not None:
                demos = demos[: plan.max_demos]
            queries = [len(t.query(i)) for i in range(len(t)) if plan.fold_of[i] == f] or [0]
            needed = len(t.preamble) + sum(demos) + max(queries)
            check_fits(needed, self.runner.context_window,
                       f"scoring 'folds': fold {f}'s longest prompt ({len(demos)} demonstrations and a query)",
                       max_demos=plan.max_demos)

    def _context_tokens(self, f: int) -> tuple:
        out = list(self.tokens.preamble)
        for i in self.plan.members(f):
            out.extend(self.tokens.demo(i, self.plan.labels[i]))
        return tuple(out)

    def _held(self, f: int) -> list[_Context]:
        pinned = self._pinned[f]
        return ([pinned] if pinned is not None else []) + self._recent[f]

    def _find(self, f: int, want: tuple) -> _Context | None:
        for ctx in self._held(f):
            if len(ctx.tokens) == len(want) and ctx.tokens == want:
                return ctx
        return None

    def _sync_context(self, f: int, want: tuple | None = None) -> _Context:
        """Fold f's context for the plan's current labels, computed from the held version sharing most."""
        from .kv_cache import kv_cat

        if want is None:
            want = self._context_tokens(f)
        found = self._find(f, want)
        if found is not None:
            if found is not self._pinned[f]:
                self._recent[f].remove(found)
                self._recent[f].insert(0, found)
            return found
        best, keep = None, 0
        for ctx in self._held(f):
            k = common_prefix_length(want, ctx.tokens)
            if k > keep:
                best, keep = ctx, k
        parts = _prefix_parts(best.parts, keep) if best is not None else []
        if keep < len(want):
            _, new = self.runner.forward(list(want[keep:]), past=kv_cat(parts))
            parts = parts + [new]
        ctx = _Context(want, parts)
        self._recent[f].insert(0, ctx)
        del self._recent[f][self.versions:]
        return ctx

    def pin(self, labels: dict[int, bool]) -> None:
        """The search adopted `labels`: hold each fold's context for them apart from the candidates'."""
        from .kv_cache import kv_cat

        self.plan.update(labels)
        for f in range(self.folds):
            found = self._find(f, self._context_tokens(f))
            if found is None or found is self._pinned[f]:
                continue  # not computed (no query of this fold needed it): the previous pin stays the base
            self._recent[f].remove(found)
            if len(found.parts) > self.MAX_PARTS:
                found.parts = [kv_cat(found.parts)]
            self._pinned[f] = found

    def evaluate(self, labels: dict[int, bool], query_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
        """(log P(True), log P(False)) of each query, given the labeled set `labels` (index -> label)."""
        self.plan.update(labels)
        by_fold: dict[int, list[int]] = {}
        for i in query_ids:
            by_fold.setdefault(self.plan.fold_of[i], []).append(i)
        out: dict[int, tuple[float, float]] = {}
        memo = self._memo
        for f in sorted(by_fold):
            want = self._context_tokens(f)
            digest = token_digest(want)
            todo = [i for i in dict.fromkeys(by_fold[f]) if (digest, i) not in memo]
            if todo:
                ctx = self._sync_context(f, want)
                for i, pair in self._run_queries(ctx, todo):
                    memo[(digest, i)] = pair
            for i in by_fold[f]:
                key = (digest, i)
                memo.move_to_end(key)
                out[i] = memo[key]
        while len(memo) > self.MEMO_SIZE:
            memo.popitem(last=False)
        return out

    def _run_queries(self, ctx: _Context, ids: list[int]):
        import torch

        from .kv_cache import kv_cat, label_logprobs

        past = kv_cat(ctx.parts)  # joined once for all of this context's query chunks
        prefix = len(ctx.tokens)
        tq = self.tokens
        for chunk in _chunks(ids, [len(tq.query(i)) for i in ids], self.query_token_budget):
            lengths = [len(tq.query(i)) for i in chunk]
            lp, _ = self.runner.forward(
                [t for i in chunk for t in tq.query(i)],
                past=past,
                positions=[prefix + p for n in lengths for p in range(n)],
                allowed=_packed_after_prefix(prefix, lengths),
                logits_at=(torch.tensor(lengths).cumsum(0) - 1).tolist(),
                want_kv=False,
            )
            yield from zip(chunk, label_logprobs(lp, list(tq.true_ids), list(tq.false_ids)))


def _packed_after_prefix(prefix: int, lengths: list[int]):
    """bool [sum(lengths), prefix + sum(lengths)]: every run sees the whole prefix, itself causally, and no
    other run (what masks.packed_rows_allowed gives with one fully visible prefix segment, built directly)."""
    import torch

    runs = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths, dtype=torch.long))
    idx = torch.arange(int(runs.numel()))
    own = (runs[:, None] == runs[None, :]) & (idx[None, :] <= idx[:, None])
    return torch.cat([torch.ones(len(idx), prefix, dtype=torch.bool), own], dim=1)


class _PlanCache(ScoreCache):
    """The score cache, carrying the fold order through checkpoints (the search saves the cache with its
    state, and a resumed run must rebuild the same contexts)."""

    MARK = "~folds-plan"

    def __init__(self, plan: FoldPlan, capacity: int):
        super().__init__(capacity)
        self.plan = plan

    def to_json(self) -> list:
        return super().to_json() + [[self.MARK, json.dumps(self.plan.state_dict()), None, True]]

    def load_json(self, rows: list) -> None:
        plain = [r for r in rows if not (isinstance(r, list) and r and r[0] == self.MARK)]
        for r in rows:
            if isinstance(r, list) and r and r[0] == self.MARK:
                try:
                    self.plan.load_state_dict(json.loads(r[1]))
                except (TypeError, ValueError) as exc:
                    raise InputError(f"checkpoint: the folds order is not valid ({exc})") from None
        super().load_json(plain)


class FoldsScorer(Scorer):
    """`--scoring folds`: leave-one-fold-out log-odds (see the module docstring)."""

    mode = "folds"

    def __init__(self, problem, backend, label_words, *, folds: int = DEFAULT_FOLDS, max_demos: int | None = None,
                 seed: int = 0, cache_size: int = DEFAULT_CACHE_SIZE, query_token_budget: int = 1024,
                 placement: str = "stable"):
        super().__init__(problem, backend, label_words, cache_size=cache_size)
        if max_demos is not None and (isinstance(max_demos, bool) or not isinstance(max_demos, int)
                                      or max_demos < 1):
            raise ElicitationError(f"max_demos must be a positive integer or None, got {max_demos!r}")
        self.folds = folds
        self.max_demos = max_demos
        self.seed = seed
        self.fold_of = assign_folds(problem.group_ids(), folds, seed)
        rank = [0] * len(problem)
        for r, i in enumerate(self.order):
            rank[i] = r
        self.plan = FoldPlan(self.fold_of, rank=rank, max_demos=max_demos, seed=seed, placement=placement)
        self.cache = _PlanCache(self.plan, cache_size)
        self.query_token_budget = query_token_budget
        self._contexts: FoldContexts | None = None
        self._runner = None
        self._pieces = None  # PromptTokens, for backends that take token ids

    @classmethod
    def from_config(cls, problem, backend, config, **options) -> "FoldsScorer":
        options.setdefault("placement", config.fold_placement)
        return cls(problem, backend, tuple(config.label_words), folds=config.folds, max_demos=config.max_demos,
                   seed=config.seed, **options)

    def settings(self) -> dict:
        """What this mode records in a run's summary."""
        sizes = [self.fold_of.count(f) for f in range(self.folds)]
        return {"scoring": self.mode, "folds": self.folds, "fold_sizes": sizes, "max_demos": self.max_demos,
                "fold_placement": self.plan.placement}

    # --- the scorer interface ---

    def check_context(self) -> None:
        if has_model(self.backend):
            self._model_contexts()  # checks every fold's longest prompt when built
            return
        self._check_text_context()

    def evaluate(self, labels: Sequence[bool | None]) -> dict[int, LabelLogprobs]:
        labeled = [i for i in self.order if labels[i] is not None]
        return self._score(labels, labeled)

    def predict_many(self, indices: Sequence[int], labels: Sequence[bool | None]) -> dict[int, LabelLogprobs]:
        return self._score(labels, list(indices))

    def adopt(self, labels: Sequence[bool | None]) -> None:
        """The search adopted `labels`: keep their fold contexts (FoldContexts.pin)."""
        if self._contexts is not None:
            self._contexts.pin({i: bool(labels[i]) for i in self.order if labels[i] is not None})

    # --- scoring ---

    def _score(self, labels: Sequence[bool | None], queries: list[int]) -> dict[int, LabelLogprobs]:
        labeled = {i: bool(labels[i]) for i in self.order if labels[i] is not None}
        if not has_model(self.backend):
            self.plan.update(labeled)
            if callable(getattr(self.backend, "score_token_batch", None)):
                return self._score_tokens(labeled, queries)
            prompts = [self.builder.prompt([(j, labeled[j]) for j in self.plan.members(self.fold_of[i])], i)
                       for i in queries]
            return dict(zip(queries, self.score_prompts(prompts)))
        contexts = self._model_contexts()
        before = self._runner.tokens
        pairs = contexts.evaluate(labeled, queries)
        self.tokens += self._runner.tokens - before
        return {i: as_label_logprobs(pairs[i]) for i in queries}

    def _score_tokens(self, labeled: dict[int, bool], queries: list[int]) -> dict[int, LabelLogprobs]:
        """Token-id prompts (a backend with `score_token_batch`: vLLM) built from the pieces tokenized once;
        scores cached by (digest of the fold context's tokens, query)."""
        if self._pieces is None:
            self._pieces = prompt_tokens(self)
        t = self._pieces
        contexts: dict[int, tuple[tuple, str]] = {}
        keys, prompts = [], {}
        for i in queries:
            f = self.fold_of[i]
            if f not in contexts:
                toks = list(t.preamble)
                for j in self.plan.members(f):
                    toks.extend(t.demo(j, labeled[j]))
                contexts[f] = (tuple(toks), token_digest(toks).hex()[:16])
            key = f"{contexts[f][1]}:{i}"
            keys.append(key)
            if key not in prompts and self.cache.get(key) is None:
                prompts[key] = contexts[f][0] + t.query(i)
        if prompts:
            batch = self.backend.score_token_batch(list(prompts.values()), self.label_words)
            if len(batch.results) != len(prompts):
                raise RuntimeError(f"backend returned {len(batch.results)} scores for {len(prompts)} prompts")
            self.tokens += batch.tokens
            for key, r in zip(prompts, batch.results):
                self.cache.put(key, r)
                if not r.found:
                    self.zero_scores += 1
        return {i: self.cache.get(k) for i, k in zip(queries, keys)}

    def _model_contexts(self) -> FoldContexts:
        if self._contexts is None:
            self._runner = make_runner(self.backend)
            self._contexts = FoldContexts(self._runner, prompt_tokens(self), plan=self.plan,
                                          query_token_budget=self.query_token_budget)
        return self._contexts

    def _check_text_context(self) -> None:
        limit = getattr(self.backend, "context_length", None)
        count = getattr(self.backend, "count_tokens", None)
        if not limit or count is None:
            return
        demo = []
        for i in range(len(self.problem)):
            lens = [count(self.builder.demonstration(i, y)) for y in (True, False)]
            if any(x is None for x in lens):
                return
            demo.append(max(lens) + 2)  # + the blank-line separator
        for f in range(self.folds):
            lens = sorted((demo[i] for i in range(len(demo)) if self.fold_of[i] != f), reverse=True)
            if self.max_demos is not None:
                lens = lens[: self.max_demos]
            query = max((count(self.builder.queries[i]) or 0) for i in range(len(demo)) if self.fold_of[i] == f)
            check_fits(sum(lens) + query, limit,
                       f"scoring 'folds': fold {f}'s longest prompt ({len(lens)} demonstrations and a query)",
                       max_demos=self.max_demos)
