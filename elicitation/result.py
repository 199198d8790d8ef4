"""What a run returns, and its summary."""
from __future__ import annotations

from dataclasses import dataclass, field

from .state import SearchState

# A run whose labels are more than this share one class is flagged as degenerate.
DEGENERATE_SHARE = 0.9


@dataclass
class ICMResult:
    labels: dict          # example id → True / False / None (never labeled)
    scores: dict          # example id → final leave-one-out log-odds (calibrated as the run was), None if unlabeled
    state: SearchState
    summary: dict
    stopped: bool = False
    raw_scores: dict = field(default_factory=dict)  # the same before calibration
    filled: set = field(default_factory=set)  # ids labeled by fill (config.fill) rather than by the search

    def kind(self, example_id) -> str | None:
        """"elicited" (labeled by the search), "filled" (by fill) or None (unlabeled)."""
        if self.labels.get(example_id) is None:
            return None
        return "filled" if example_id in self.filled else "elicited"


def label_counts(labels) -> dict:
    values = list(labels.values()) if isinstance(labels, dict) else list(labels)
    t = sum(1 for v in values if v is True)
    f = sum(1 for v in values if v is False)
    return {"true": t, "false": f, "unlabeled": len(values) - t - f}


def balance(counts: dict) -> dict:
    labeled = counts["true"] + counts["false"]
    share = (counts["true"] / labeled) if labeled else None
    majority = max(counts["true"], counts["false"]) / labeled if labeled else None
    return {"true_share": share, "degenerate": bool(majority is not None and majority > DEGENERATE_SHARE)}
