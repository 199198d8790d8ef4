"""A run's result: one ElicitedLabel per example, written idempotently (a re-delivered task overwrites, never
duplicates)."""
from __future__ import annotations

import math

from studio.models import ElicitationRun, ElicitedLabel


def _score(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def write_labels(run: ElicitationRun, labels: dict, scores: dict, *, batch_size: int = 2000) -> int:
    """Upsert (run, example) → (label, score) for every example of the run; examples the search never labeled
    get label None."""
    rows = [
        ElicitedLabel(run=run, example_id=pk, label=labels.get(str(pk)), score=_score(scores.get(str(pk))))
        for pk in run.example_ids
    ]
    for start in range(0, len(rows), batch_size):
        ElicitedLabel.objects.bulk_create(
            rows[start:start + batch_size],
            update_conflicts=True,
            unique_fields=["run", "example"],
            update_fields=["label", "score"],
        )
    return len(rows)
