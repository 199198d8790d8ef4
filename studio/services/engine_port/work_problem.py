"""The engine's Problem from a run's example rows (light: used both where runs are planned and by workers)."""
from __future__ import annotations

from collections.abc import Iterable

from elicitation import Example, Problem
from elicitation.consistency import Rules


def problem_of(rows: Iterable[tuple], consistency: str = "none") -> Problem:
    """The engine's problem from (id, prompt, group, key) rows; ids become text, as the engine keys them."""
    return Problem(examples=[Example(id=str(pk), prompt=prompt, group=group or None, key=key or None)
                             for pk, prompt, group, key in rows], consistency=consistency)


def consistency_counts(rows: Iterable[tuple], labels: dict[int, bool], consistency: str) -> dict:
    """How many constrained pairs a label set breaks: {"violations", "checked"} over the pairs whose two examples
    it labels, from (id, prompt, group, key) rows of the examples it labeled."""
    rows = list(rows)
    problem = problem_of(rows, consistency)
    ordered = [labels.get(pk) for pk, *_ in rows]
    rules = Rules(problem)
    checked = sum(1 for p in rules.pairs if ordered[p.i] is not None and ordered[p.j] is not None)
    return {"violations": len(rules.violations(ordered)), "checked": checked}
