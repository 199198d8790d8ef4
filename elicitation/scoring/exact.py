"""Exact leave-one-out scoring (the paper's semantics): example i is scored with every other labeled example
as a demonstration. A full evaluation over n labeled examples is n prompts of n−1 demonstrations; they share
prefixes (stable order), which the backend reuses, and unchanged prompts come from the cache."""
from __future__ import annotations

from typing import Sequence

from ..backends.base import LabelLogprobs
from .base import Scorer


class ExactScorer(Scorer):
    mode = "exact"

    def evaluate(self, labels: Sequence[bool | None]) -> dict[int, LabelLogprobs]:
        labeled = [i for i in self.order if labels[i] is not None]
        return self.predict_many(labeled, labels)
