"""Exact leave-one-out scoring with `max_demos`: each query sees a fixed seeded subset of at most K of the
other labeled examples (in the stable order), so prompts fit a model's context window at any n."""
from __future__ import annotations

from typing import Sequence

from .context_limits import demo_subset
from .exact import ExactScorer


class ExactSubsetScorer(ExactScorer):
    mode = "exact"

    def __init__(self, problem, backend, label_words, *, max_demos: int, seed: int = 0, **options):
        super().__init__(problem, backend, label_words, **options)
        self.max_demos = max_demos
        self.seed = seed

    @classmethod
    def from_config(cls, problem, backend, config, **options) -> "ExactSubsetScorer":
        return cls(problem, backend, tuple(config.label_words), max_demos=config.max_demos, seed=config.seed,
                   **options)

    def settings(self) -> dict:
        return {"scoring": self.mode, "max_demos": self.max_demos}

    def demos(self, labels: Sequence[bool | None], exclude: int | None = None) -> list[tuple[int, bool]]:
        everyone = super().demos(labels, exclude)
        keep = demo_subset([j for j, _ in everyone], self.max_demos, self.seed, f"query{exclude}")
        return [(j, y) for j, y in everyone if j in keep]

    def longest_prompt(self) -> tuple[int, str] | None:
        count = getattr(self.backend, "count_tokens", None)
        if count is None:
            return None
        n = len(self.problem)
        demo = [max(count(self.builder.demonstration(i, y)) or 0 for y in (True, False)) + 2 for i in range(n)]
        worst = None
        for i in range(n):
            lens = sorted((demo[j] for j in range(n) if j != i), reverse=True)[: self.max_demos]
            total = sum(lens) + (count(self.builder.queries[i]) or 0)
            if worst is None or total > worst[0]:
                worst = (total, f"--max-demos {self.max_demos}: {len(lens)} demonstrations and the query "
                                f"{self.problem.examples[i].id!r}")
        return worst
