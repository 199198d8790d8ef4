"""A run's search curves from its RunEvents: U, accuracy against gold, accepted flips and
inconsistencies by iteration. Long runs are thinned to at most MAX_POINTS evenly spaced events (always
keeping the last) so a page stays light."""
from __future__ import annotations

from studio.models import ElicitationRun, RunEvent

MAX_POINTS = 400
FIELDS = ("iteration", "energy", "accuracy", "accepted_flips", "inconsistencies", "labeled_count")


def run_curves(run: ElicitationRun, max_points: int = MAX_POINTS) -> dict:
    events = RunEvent.objects.filter(run=run).order_by("iteration", "id")
    total = events.count()
    step = max(1, -(-total // max_points))  # ceil
    rows = list(events.values_list(*FIELDS))
    if step > 1:
        rows = rows[::step] + ([rows[-1]] if (total - 1) % step else [])
    series = {name: [r[i] for r in rows] for i, name in enumerate(FIELDS)}
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
        **series,
    }
