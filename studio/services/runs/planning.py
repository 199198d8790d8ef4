"""A run's plan at start: its examples cut into the engine's batches (whole consistency groups, seeded by the
run's seed), and whether each batch's iterations can visit every example once in expectation."""
from __future__ import annotations

from studio.services.engine_port.batches import PlannedBatch, plan_batches

from .subsets import example_rows


def plan_run(dataset, example_ids: list[int], *, batch_size: int, seed: int,
             iterations: int, initial_labels: int = 0) -> tuple[list[PlannedBatch], str | None]:
    return plan_batches(example_rows(example_ids), dataset.consistency, batch_size=batch_size, seed=seed,
                        iterations=iterations, initial_labels=initial_labels)


def coverage_summary(planned: list[PlannedBatch], *, fill: bool) -> dict:
    """The run's coverage at start: per batch, and one warning for the run when any batch has too few
    iterations (naming how many would do)."""
    short = [b for b in planned if b.coverage["warning"]]
    warning = None
    if short:
        needed = max(b.coverage["needed"] for b in short)
        unvisited = sum(b.coverage["expected_unvisited"] for b in short)
        iterations = short[0].coverage["iterations"]
        where = "the run's batch" if len(planned) == 1 else f"{len(short)} of {len(planned)} batches"
        warning = (f"{iterations} iterations are too few to visit every example of {where} once in expectation: "
                   f"about {needed} would (n·ln n for n examples without groups). About {unvisited:.0f} examples "
                   f"are expected never to be drawn; "
                   + ("fill will label them by prediction after the search." if fill else
                      "they will stay unlabeled (fill is off)."))
    return {"warning": warning, "iterations_needed": max((b.coverage["needed"] for b in planned), default=0),
            "batches": [{"index": b.index, "examples": len(b.example_ids), "groups": b.groups,
                         "needed": b.coverage["needed"], "expected_unvisited": b.coverage["expected_unvisited"]}
                        for b in planned]}
