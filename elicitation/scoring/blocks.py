"""Parallel-block scoring.

Every labeled example (unit="example") or every consistency group (unit="group") is an independent block:
its own position ids (starting right after a shared preamble) and attention only inside itself. Each query
attends to the preamble and to every block except its own group's, through one 4D attention mask, with
positions after the longest possible block. Blocks never see each other, so a label change alters only the
last tokens of one block: block key/values are cached and only what changed, plus the queries, is recomputed.

This is an approximation of in-context learning (no demonstration sees another), not equivalent to it: its
agreement with exact scores is measured by benchmarks/score_cost.py.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from ..backends.base import LabelLogprobs, common_prefix_length
from ..errors import ElicitationError
from .base import DEFAULT_CACHE_SIZE, Scorer
from .context_limits import check_fits, demo_subset
from .folds import _chunks
from .model_access import as_label_logprobs, flex_available, make_runner, prompt_tokens, require_model

UNITS = ("example", "group")


class BlockContexts:
    """Model-level state of `blocks` scoring: per-block KV caches and cached query results."""

    def __init__(
        self,
        runner,
        tokens,
        groups: list[Hashable | None],
        *,
        unit: str = "example",
        max_demos: int | None = None,
        seed: int = 0,
        token_budget: int = 1024,
    ):
        if unit not in UNITS:
            raise ElicitationError(f"block unit must be one of {UNITS}, got {unit!r}")
        if len(groups) != len(tokens):
            raise ValueError(f"{len(groups)} groups for {len(tokens)} examples")
        self.runner = runner
        self.tokens = tokens
        self.unit = unit
        self.max_demos = max_demos
        self.seed = seed
        self.token_budget = token_budget
        # an example's consistency group; an example without one is its own group
        self.group_of = [("g", g) if g is not None else ("i", i) for i, g in enumerate(groups)]
        members: dict = {}
        for i in range(len(tokens)):
            members.setdefault(self._unit_key(i), []).append(i)
        self.unit_members = members  # unit key -> example indices, in index order
        self.unit_order = list(members)  # stable block order in the packed key/value sequence
        self._unit_index = {k: u for u, k in enumerate(self.unit_order)}
        # queries start after the longest block any labeling could produce, so positions never depend on labels
        self.max_block = max(sum(tokens.longest_demo(i) for i in m) for m in members.values())
        self.labels: dict[int, bool] = {}
        self._preamble_kv = None
        self._blocks: dict = {}  # unit key -> (tokens, kv)
        self._results: dict[int, tuple[float, float]] = {}
        self.check_context_window()

    def _unit_key(self, i: int):
        return self.group_of[i] if self.unit == "group" else ("i", i)

    def check_context_window(self) -> None:
        longest_query = max(len(self.tokens.query(i)) for i in range(len(self.tokens)))
        needed = len(self.tokens.preamble) + self.max_block + longest_query
        check_fits(needed, self.runner.context_window, "scoring 'blocks': the longest block and query",
                   max_demos=self.max_demos)

    # -- blocks ---------------------------------------------------------------------------------------------
    def _block_tokens(self, key) -> tuple:
        out: list[int] = []
        for i in self.unit_members[key]:
            if i in self.labels:
                out.extend(self.tokens.demo(i, self.labels[i]))
        return tuple(out)

    def _sync_blocks(self) -> bool:
        """Bring every block's KV up to date with self.labels; True if anything changed."""
        import torch

        from .kv_cache import kv_cat, kv_slice
        from .masks import packed_rows_allowed
        pre = list(self.tokens.preamble)
        if pre and self._preamble_kv is None:
            _, self._preamble_kv = self.runner.forward(pre)
        start = len(pre)
        changed = False
        fresh: list = []  # blocks computed from scratch, packed together
        for key in self.unit_order:
            want = self._block_tokens(key)
            have, kv = self._blocks.get(key, ((), None))
            if want == have:
                continue
            changed = True
            if not want:
                self._blocks.pop(key, None)
                continue
            keep = common_prefix_length(want, have)
            if keep == 0:
                fresh.append((key, want))
                continue
            kv = kv_slice(kv, 0, keep)
            if keep < len(want):
                _, new = self.runner.forward(
                    list(want[keep:]),
                    past=kv_cat([self._preamble_kv, kv]),
                    positions=list(range(start + keep, start + len(want))),
                )
                kv = kv_cat([kv, new])
            self._blocks[key] = (want, kv)
        for chunk in _chunks(fresh, [len(w) for _, w in fresh], self.token_budget):
            lengths = [len(w) for _, w in chunk]
            allowed = packed_rows_allowed(
                torch.ones(len(chunk), 1, dtype=torch.bool), torch.zeros(start, dtype=torch.long), lengths
            )
            positions = [start + p for n in lengths for p in range(n)]
            _, kv = self.runner.forward(
                [t for _, w in chunk for t in w], past=self._preamble_kv, positions=positions, allowed=allowed
            )
            offset = 0
            for (key, want), n in zip(chunk, lengths):
                self._blocks[key] = (want, kv_slice(kv, offset, offset + n))
                offset += n
        return changed

    # -- scoring --------------------------------------------------------------------------------------------
    def evaluate(self, labels: dict[int, bool], query_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
        """(log P(True), log P(False)) of each query, given the labeled set `labels` (index -> label)."""
        self.labels = {int(i): bool(y) for i, y in labels.items()}
        if self._sync_blocks():
            self._results = {}
        ids = list(dict.fromkeys(query_ids))
        todo = [i for i in ids if i not in self._results]
        if todo:
            self._run_queries(todo)
        return {i: self._results[i] for i in ids}

    def _run_queries(self, ids: list[int]) -> None:
        import torch

        from .kv_cache import kv_cat, label_logprobs
        from .masks import packed_rows_allowed
        keys = [k for k in self.unit_order if k in self._blocks]
        kv = kv_cat([self._preamble_kv] + [self._blocks[k][1] for k in keys])
        pre = len(self.tokens.preamble)
        # segment 0 is the preamble, segment s+1 is block keys[s]
        segment = torch.cat(
            [torch.zeros(pre, dtype=torch.long)]
            + [torch.full((len(self._blocks[k][0]),), s + 1, dtype=torch.long) for s, k in enumerate(keys)]
        )
        start = pre + self.max_block
        tq = self.tokens
        for chunk in _chunks(ids, [len(tq.query(i)) for i in ids], self.token_budget):
            visible = torch.zeros(len(chunk), len(keys) + 1, dtype=torch.bool)
            visible[:, 0] = True
            for r, i in enumerate(chunk):
                others = [s for s, k in enumerate(keys) if not self._same_group(k, i)]
                if self.max_demos is not None:
                    # ranked by the block's fixed place in unit_order, not by which blocks happen to exist
                    rank = {self._unit_index[keys[s]]: s for s in others}
                    others = [rank[u] for u in demo_subset(rank, self.max_demos, self.seed, f"query{i}")]
                visible[r, [s + 1 for s in others]] = True
            lengths = [len(tq.query(i)) for i in chunk]
            allowed = packed_rows_allowed(visible, segment, lengths)
            positions = [start + p for n in lengths for p in range(n)]
            ends = (torch.tensor(lengths).cumsum(0) - 1).tolist()
            lp, _ = self.runner.forward(
                [t for i in chunk for t in tq.query(i)],
                past=kv,
                positions=positions,
                allowed=allowed,
                logits_at=ends,
                want_kv=False,
            )
            for i, pair in zip(chunk, label_logprobs(lp, list(tq.true_ids), list(tq.false_ids))):
                self._results[i] = pair

    def _same_group(self, key, i: int) -> bool:
        return any(self.group_of[j] == self.group_of[i] for j in self.unit_members[key])


class BlocksScorer(Scorer):
    """`--scoring blocks`: parallel-context log-odds (see the module docstring). Needs the hf backend."""

    mode = "blocks"

    def __init__(self, problem, backend, label_words, *, max_demos: int | None = None, seed: int = 0,
                 unit: str = "example", cache_size: int = DEFAULT_CACHE_SIZE, token_budget: int = 1024):
        super().__init__(problem, backend, label_words, cache_size=cache_size)
        require_model(backend, self.mode)
        if max_demos is not None and (isinstance(max_demos, bool) or not isinstance(max_demos, int)
                                      or max_demos < 1):
            raise ElicitationError(f"max_demos must be a positive integer or None, got {max_demos!r}")
        if unit not in UNITS:
            raise ElicitationError(f"block unit must be one of {UNITS}, got {unit!r}")
        self.max_demos = max_demos
        self.seed = seed
        self.unit = unit
        self.token_budget = token_budget
        self.flex = flex_available(backend)
        self._contexts: BlockContexts | None = None
        self._runner = None

    @classmethod
    def from_config(cls, problem, backend, config, **options) -> "BlocksScorer":
        return cls(problem, backend, tuple(config.label_words), max_demos=config.max_demos,
                   seed=config.seed, **options)

    def settings(self) -> dict:
        return {"scoring": self.mode, "block_unit": self.unit, "max_demos": self.max_demos,
                "attention": "flex_attention block mask" if self.flex else "sdpa float mask"}

    def check_context(self) -> None:
        self._model_contexts()

    def evaluate(self, labels: Sequence[bool | None]) -> dict[int, LabelLogprobs]:
        return self._score(labels, [i for i in self.order if labels[i] is not None])

    def predict_many(self, indices: Sequence[int], labels: Sequence[bool | None]) -> dict[int, LabelLogprobs]:
        return self._score(labels, list(indices))

    def _score(self, labels, queries: list[int]) -> dict[int, LabelLogprobs]:
        contexts = self._model_contexts()
        labeled = {i: bool(labels[i]) for i in self.order if labels[i] is not None}
        before = self._runner.tokens
        pairs = contexts.evaluate(labeled, queries)
        self.tokens += self._runner.tokens - before
        return {i: as_label_logprobs(pairs[i]) for i in queries}

    def _model_contexts(self) -> BlockContexts:
        if self._contexts is None:
            self._runner = make_runner(self.backend, flex=self.flex)
            self._contexts = BlockContexts(self._runner, prompt_tokens(self), self.problem.group_ids(),
                                           unit=self.unit, max_demos=self.max_demos, seed=self.seed,
                                           token_budget=self.token_budget)
        return self._contexts
