"""The engine's progress event (elicitation.search emits one dict per iteration) as one typed object, built in
one place; the runs service maps it onto a run's progress."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EngineEvent:
    iteration: int = 0
    energy: float | None = None
    accepted_flips: int = 0
    inconsistencies: int | None = None
    labeled_count: int = 0
    true_count: int = 0
    false_count: int = 0
    tokens: int = 0  # model tokens so far; the count runs on across a resume (it is part of the checkpoint)
    labels: dict[str, bool] | None = None  # the first event: every initial label
    changes: dict[str, bool] = field(default_factory=dict)  # later events: the labels that changed

    @classmethod
    def from_engine(cls, event: dict) -> "EngineEvent":
        counts = event.get("label_counts") or {}
        labels = event.get("labels")
        return cls(
            iteration=int(event.get("iteration") or 0),
            energy=event.get("energy"),
            accepted_flips=int(event.get("accepted_flips") or 0),
            inconsistencies=event.get("inconsistencies"),
            labeled_count=int(event.get("labeled_count") or 0),
            true_count=int(counts.get("true") or 0),
            false_count=int(counts.get("false") or 0),
            tokens=int(event.get("tokens") or 0),
            labels={str(k): v for k, v in labels.items()} if isinstance(labels, dict) else None,
            changes={str(k): v for k, v in (event.get("changes") or {}).items()},
        )
