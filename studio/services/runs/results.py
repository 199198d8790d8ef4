"""A batch's result: one ElicitedLabel per example, written idempotently (a re-delivered task overwrites, never
duplicates), each marked elicited (by the search), filled (predicted after it) or unlabeled."""
from __future__ import annotations

import math

from studio.models import ElicitedLabel

Kind = ElicitedLabel.Kind


def _score(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _kind(label, filled: bool) -> str:
    if label is None:
        return Kind.UNLABELED
    return Kind.FILLED if filled else Kind.ELICITED


def write_labels(run_id: int, example_ids, labels: dict, scores: dict, *, filled=frozenset(), batch: int = 0,
                 chunk: int = 2000) -> int:
    """Upsert (run, example) → (label, score, kind, batch) for these examples of the run (text ids in `labels`,
    `scores` and `filled`); examples the search never labeled get label None."""
    rows = [
        ElicitedLabel(run_id=run_id, example_id=pk, label=labels.get(str(pk)), score=_score(scores.get(str(pk))),
                      kind=_kind(labels.get(str(pk)), str(pk) in filled), batch=batch)
        for pk in example_ids
    ]
    for start in range(0, len(rows), chunk):
        ElicitedLabel.objects.bulk_create(
            rows[start:start + chunk],
            update_conflicts=True,
            unique_fields=["run", "example"],
            update_fields=["label", "score", "kind", "batch"],
        )
    return len(rows)
