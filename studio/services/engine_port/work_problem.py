"""The engine's Problem from a run's example rows (light: used both where runs are planned and by workers)."""
from __future__ import annotations

from collections.abc import Iterable

from elicitation import Example, Problem


def problem_of(rows: Iterable[tuple], consistency: str = "none") -> Problem:
    """The engine's problem from (id, prompt, group, key) rows; ids become text, as the engine keys them."""
    return Problem(examples=[Example(id=str(pk), prompt=prompt, group=group or None, key=key or None)
                             for pk, prompt, group, key in rows], consistency=consistency)
