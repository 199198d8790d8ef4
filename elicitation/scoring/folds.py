"""Leave-one-fold-out scoring (the paper's v2 Appendix G, "Scalable ICM").

Example i is scored by P(y_i | x_i, D \\ fold(i)) instead of P(y_i | x_i, D \\ i). Each fold has one ordinary
causal context: the labeled examples of all other folds, in one stable order. Its key/value cache is kept,
and every query of the fold runs on top of it in one packed forward pass (a 4D mask keeps the queries apart).

When labels change, the changed examples move to the end of the order; each context is recomputed only from
the first token that differs, so relabeling a recently changed example costs a few tokens per context.
"""
from __future__ import annotations

import random
from collections.abc import Hashable, Iterable

import torch

from .context_limits import check_fits, demo_subset
from .demo_tokens import PromptTokens
from .kv_cache import KV, ModelRunner, kv_cat, kv_len, kv_slice, label_logprobs
from .masks import packed_rows_allowed

DEFAULT_FOLDS = 4


def assign_folds(groups: list[Hashable | None], folds: int, seed: int) -> list[int]:
    """Seeded fold of each example; all members of a consistency group share a fold.

    Groups (singletons for examples without one) are shuffled with the seed, then placed largest first on the
    fold with the fewest examples, so folds stay balanced.
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    units: dict = {}
    for i, g in enumerate(groups):
        units.setdefault(("g", g) if g is not None else ("i", i), []).append(i)
    if len(units) < folds:
        raise ValueError(f"folds={folds} but there are only {len(units)} groups/examples to spread over them")
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


def _common_prefix(a: tuple, b: tuple) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class FoldContexts:
    """Model-level state of `folds` scoring: per-fold contexts, their KV caches, and cached query results."""

    def __init__(
        self,
        runner: ModelRunner,
        tokens: PromptTokens,
        fold_of: list[int],
        *,
        max_demos: int | None = None,
        seed: int = 0,
        query_token_budget: int = 1024,
    ):
        if len(fold_of) != len(tokens):
            raise ValueError(f"{len(fold_of)} fold assignments for {len(tokens)} examples")
        self.runner = runner
        self.tokens = tokens
        self.fold_of = list(fold_of)
        self.folds = max(fold_of) + 1
        self.max_demos = max_demos
        self.seed = seed
        self.query_token_budget = query_token_budget
        self.order: list[int] = []  # labeled examples, stable order, recently changed last
        self.labels: dict[int, bool] = {}
        self._ctx_tokens: list[tuple] = [()] * self.folds
        self._ctx_kv: list[KV | None] = [None] * self.folds
        self._results: list[dict[int, tuple[float, float]]] = [{} for _ in range(self.folds)]
        self.check_context_window()

    # -- limits ---------------------------------------------------------------------------------------------
    def check_context_window(self) -> None:
        """Refuse before scoring if a fold's context, with every example labeled, would not fit."""
        window = self.runner.context_window
        t = self.tokens
        for f in range(self.folds):
            demos = sorted((t.longest_demo(i) for i in range(len(t)) if self.fold_of[i] != f), reverse=True)
            if self.max_demos is not None:
                demos = demos[: self.max_demos]
            queries = [len(t.query(i)) for i in range(len(t)) if self.fold_of[i] == f] or [0]
            needed = len(t.preamble) + sum(demos) + max(queries)
            check_fits(needed, window, f"fold {f}'s prompt ({len(demos)} demonstrations)", max_demos=self.max_demos)

    # -- state ----------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """JSON-safe: the order and labels of the last evaluation (scores depend on the order)."""
        return {"order": [[i, self.labels[i]] for i in self.order]}

    def load_state_dict(self, state: dict) -> None:
        self.order = [int(i) for i, _ in state["order"]]
        self.labels = {int(i): bool(y) for i, y in state["order"]}
        self._ctx_tokens = [()] * self.folds
        self._ctx_kv = [None] * self.folds
        self._results = [{} for _ in range(self.folds)]

    def _update_order(self, labels: dict[int, bool]) -> None:
        changed = [i for i in self.order if i in labels and labels[i] != self.labels[i]]
        moved = set(changed)
        kept = [i for i in self.order if i in labels and i not in moved]
        new = sorted(i for i in labels if i not in self.labels)
        self.order = kept + changed + new
        self.labels = {i: bool(labels[i]) for i in self.order}

    # -- contexts -------------------------------------------------------------------------------------------
    def context_members(self, f: int) -> list[int]:
        members = [i for i in self.order if self.fold_of[i] != f]
        if self.max_demos is not None:
            keep = demo_subset(members, self.max_demos, self.seed, f"fold{f}")
            members = [i for i in members if i in keep]
        return members

    def _context_tokens(self, f: int) -> tuple:
        out = list(self.tokens.preamble)
        for i in self.context_members(f):
            out.extend(self.tokens.demo(i, self.labels[i]))
        return tuple(out)

    def _sync_context(self, f: int) -> None:
        want = self._context_tokens(f)
        have = self._ctx_tokens[f]
        keep = _common_prefix(want, have)
        if keep == len(want) == len(have):
            return
        kv = kv_slice(self._ctx_kv[f], 0, keep)
        if keep < len(want):
            _, new = self.runner.forward(list(want[keep:]), past=kv)
            kv = kv_cat([kv, new])
        self._ctx_tokens[f] = want
        self._ctx_kv[f] = kv
        self._results[f] = {}

    # -- scoring --------------------------------------------------------------------------------------------
    def evaluate(self, labels: dict[int, bool], query_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
        """(log P(True), log P(False)) of each query, given the labeled set `labels` (index -> label)."""
        self._update_order(labels)
        by_fold: dict[int, list[int]] = {}
        for i in query_ids:
            by_fold.setdefault(self.fold_of[i], []).append(i)
        out: dict[int, tuple[float, float]] = {}
        for f in sorted(by_fold):
            self._sync_context(f)
            todo = [i for i in dict.fromkeys(by_fold[f]) if i not in self._results[f]]
            if todo:
                self._run_queries(f, todo)
            for i in by_fold[f]:
                out[i] = self._results[f][i]
        return out

    def _run_queries(self, f: int, ids: list[int]) -> None:
        ctx_kv = self._ctx_kv[f]
        prefix = kv_len(ctx_kv)
        for chunk in _chunks(ids, [len(self.tokens.query(i)) for i in ids], self.query_token_budget):
            lengths = [len(self.tokens.query(i)) for i in chunk]
            toks = [t for i in chunk for t in self.tokens.query(i)]
            positions = [prefix + p for n in lengths for p in range(n)]
            allowed = packed_rows_allowed(
                torch.ones(len(chunk), 1, dtype=torch.bool), torch.zeros(prefix, dtype=torch.long), lengths
            )
            ends = torch.tensor(lengths).cumsum(0) - 1
            lp, _ = self.runner.forward(
                toks, past=ctx_kv, positions=positions, allowed=allowed, logits_at=ends.tolist(), want_kv=False
            )
            for i, pair in zip(chunk, label_logprobs(lp, list(self.tokens.true_ids), list(self.tokens.false_ids))):
                self._results[f][i] = pair


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
