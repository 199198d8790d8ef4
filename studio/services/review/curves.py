"""A run's search curves from its RunEvents: U, accuracy against gold, accepted flips, inconsistencies and the
labeled count by iteration, one series per batch (iterations count within a batch, so batches are never mixed
on one line). Long runs are thinned to about MAX_POINTS events in all, evenly spaced within each batch (always
keeping each batch's last) so a page stays light.

Each point is the state of the search after that iteration, held until the next point: the charts draw them as
step lines on a linear iteration axis."""
from __future__ import annotations

from studio.models import ElicitationRun, RunEvent

MAX_POINTS = 400
SERIES = ("iteration", "energy", "accuracy", "accepted_flips", "inconsistencies", "labeled_count")
FIELDS = ("batch", *SERIES)


def _thin(rows: list, step: int) -> list:
    if step <= 1 or not rows:
        return rows
    kept = rows[::step]
    return kept if (len(rows) - 1) % step == 0 else kept + [rows[-1]]


def run_curves(run: ElicitationRun, max_points: int = MAX_POINTS) -> dict:
    rows = list(RunEvent.objects.filter(run=run).order_by("batch", "iteration", "id").values_list(*FIELDS))
    total = len(rows)
    step = max(1, -(-total // max_points))  # ceil
    by_batch: dict[int, list] = {}
    for row in rows:
        by_batch.setdefault(row[0], []).append(row)
    kept = [r for batch in sorted(by_batch) for r in _thin(by_batch[batch], step)]
    batches = [{"batch": batch, **{name: [r[i + 1] for r in _thin(by_batch[batch], step)]
                                   for i, name in enumerate(SERIES)}} for batch in sorted(by_batch)]
    return {
        "run_id": run.pk,
        "state": run.state,
        "split": run.split,
        "model": run.model,
        "config": run.config,
        "n_events": total,
        "thinned_every": step,
        "final": {"iteration": run.iteration, "energy": run.energy, "accepted_flips": run.accepted_flips,
                  "inconsistencies": run.inconsistencies, "labeled_count": run.labeled_count,
                  "example_count": run.example_count},
        # every kept point in (batch, iteration) order, for the table; the charts draw `batches`
        **{name: [r[i] for r in kept] for i, name in enumerate(FIELDS)},
        "batches": batches,
    }
