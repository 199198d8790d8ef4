"""A Celery app module for benchmarks: the studio's own app and tasks, but the worker's model is a STAND-IN —
`SleepBackend`, which is not a language model. It "scores" a prompt by hashing it and costs a fixed time per
token (it sleeps tokens × BENCH_SECONDS_PER_TOKEN), so that parallel speed-up can be measured on a 2-core
machine where a real model's batches would fight over the same cores.

    celery -A benchmarks.standin_worker worker -Q gpu,default -P solo ...
"""
from __future__ import annotations

import hashlib
import math
import os
import time
from typing import Sequence

from celery.signals import worker_init

from elicitation.backends.base import BackendMixin, BatchScores, LabelLogprobs
from studio.celery import app

__all__ = ["SleepBackend", "app"]


class SleepBackend(BackendMixin):
    """Stand-in backend: log-odds from a hash of the prompt's last block, and a sleep per token."""

    name = "stand-in-sleep"
    fingerprint = "stand-in-sleep"
    context_length = 1_000_000

    def __init__(self, seconds_per_token: float):
        self.seconds_per_token = seconds_per_token

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def score_batch(self, prompts: Sequence[str], label_words) -> BatchScores:
        tokens = sum(self.count_tokens(p) for p in prompts)
        time.sleep(tokens * self.seconds_per_token)
        results = []
        for p in prompts:
            digest = hashlib.sha256(p.split("\n\n")[-1].encode()).digest()
            log_odds = (digest[0] - 127.5) / 40.0
            results.append(LabelLogprobs(-math.log1p(math.exp(-log_odds)), -math.log1p(math.exp(log_odds))))
        return BatchScores(results, tokens)


@worker_init.connect
def _use_the_stand_in(**kwargs) -> None:
    from studio.services import engine_port

    backend = SleepBackend(float(os.environ.get("BENCH_SECONDS_PER_TOKEN", "0.0002")))
    engine_port.get_backend = lambda **options: (backend, True)
