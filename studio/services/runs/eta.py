"""How long a run's batches, and the run, have left: arithmetic over what the batches have measured so far.

A batch's pace is its own seconds per iteration ((seconds_used − initialization) / iteration: search time, the
model's load and the scoring of the initial labels excluded, as neither repeats per iteration). A running batch that has not iterated yet has no pace, so no estimate ("estimating…"); a batch still
waiting for a worker is assumed to go at the mean pace of the batches that have iterated (on any worker).
Neither counts the next model load, or the fill after the search for a batch that has not reached it.
"""
from __future__ import annotations

from dataclasses import dataclass

RUNNING = "running"
QUEUED = "pending"


@dataclass(frozen=True)
class BatchClock:
    """What an estimate needs of one batch: its Job state, iterations done, and seconds spent searching."""
    state: str
    iteration: int
    seconds_used: float
    initial_seconds: float = 0.0  # of seconds_used, the initialization's (scoring the initial labels)


@dataclass(frozen=True)
class Estimate:
    batches: list[float | None]  # seconds left per batch, in the order given; 0 for a finished batch
    overall: float | None        # seconds until the run ends; None while there is no pace to go by
    running: int                 # batches running now (the parallelism assumed)
    seconds_per_iteration: float | None  # the mean pace of the batches that have iterated


def pace(batch: BatchClock) -> float | None:
    """Observed seconds per iteration, or None before the batch's first iteration."""
    searching = batch.seconds_used - (batch.initial_seconds or 0.0)
    if batch.iteration <= 0 or searching <= 0:
        return None
    return searching / batch.iteration


def estimate(batches: list[BatchClock], iterations: int | None) -> Estimate:
    """Seconds left per batch and overall, for batches of `iterations` iterations each."""
    paces = [p for p in map(pace, batches) if p is not None]
    mean_pace = sum(paces) / len(paces) if paces else None
    running = sum(1 for b in batches if b.state == RUNNING)
    per_batch: list[float | None] = []
    work: list[float | None] = []  # seconds of work left per batch, for the overall estimate
    for b in batches:
        if b.state not in (RUNNING, QUEUED):  # completed, canceled, failed: nothing left
            per_batch.append(0.0)
            work.append(0.0)
            continue
        left = max(0, iterations - b.iteration) if iterations is not None else None
        own = pace(b) if b.state == RUNNING else mean_pace
        per_batch.append(left * own if left is not None and own is not None else None)
        # A running batch still loading its model counts at the mean pace in the overall sum, so the run's
        # ETA does not drop to "estimating…" each time a worker picks up another batch.
        fallback = own if own is not None else mean_pace
        work.append(left * fallback if left is not None and fallback is not None else None)
    if not work or all(w == 0 for w in work):
        overall: float | None = 0.0 if batches else None
    elif any(w is None for w in work):
        overall = None
    else:
        # Assumption: as many batches keep running at once as run now (the workers busy now stay busy, and no
        # more join), so the work left is spread evenly over them. The run cannot end before its slowest running
        # batch does, hence the max.
        slowest = max((t for b, t in zip(batches, per_batch) if b.state == RUNNING and t is not None), default=0.0)
        overall = max(sum(work) / max(1, running), slowest)
    return Estimate(batches=per_batch, overall=overall, running=running, seconds_per_iteration=mean_pace)


__all__ = ["BatchClock", "Estimate", "estimate", "pace"]
