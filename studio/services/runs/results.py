"""A batch's result: one ElicitedLabel per example, written idempotently (a re-delivered task overwrites, never
duplicates), each marked elicited (by the search), filled (predicted after it) or unlabeled.

What a label's score and confidence mean — the one definition every page, API and export uses:

- `score` (ElicitedLabel.score) is the **centered log-odds of True under the run's final labels**: for each
  example of a batch, the engine's log-odds that it is True given the batch's final labeled set (leave-one-out
  for the examples the search labeled; a prediction from that set for filled ones), minus the mean of those
  log-odds over the examples the search labeled in that batch. It is the same whatever the run's `calibrate`
  setting: a constant the engine subtracted (calibrate=center) cancels out, and with calibrate=none the
  centering is done here. Filled labels are shifted by the same mean. So over a batch's elicited labels the
  scores average 0; under calibrate=center they equal the log-odds the search itself compared.
- `confidence` is that score in the label's direction: `score` for a True label, `-score` for a False one
  (null without a label or a score). It is negative when a label disagrees with the sign of its score, which
  ICM allows: it chooses labels jointly to maximize mutual predictability and consistency, so a label can be
  kept against its own score when flipping it would cost more elsewhere (e.g. break a consistency pair).
  `min_confidence` filters keep `confidence >= threshold`, so such a label is never kept as confident.
"""
from __future__ import annotations

import math

from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When

from studio.models import ElicitedLabel

Kind = ElicitedLabel.Kind

# Said wherever a disagreeing label is counted or shown (the run page, help texts).
DISAGREEMENT_WHY = (
    "ICM chooses labels jointly to maximize mutual predictability and consistency, so a label can be kept "
    "against its own score when flipping it would cost more elsewhere (e.g. break a consistency pair)."
)


def _score(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _kind(label, filled: bool) -> str:
    if label is None:
        return Kind.UNLABELED
    return Kind.FILLED if filled else Kind.ELICITED


def centered_scores(scores: dict, labels: dict, filled=frozenset()) -> tuple[dict, float | None]:
    """(every example's centered score, the mean subtracted) from an engine result's `scores` (or `raw_scores`:
    a constant shift cancels), `labels` and `filled` ids. The mean is over the examples the search labeled
    (labeled, not filled, with a finite score); None when there are none, and then no score is kept."""
    searched = [v for k, v in ((k, _score(v)) for k, v in scores.items())
                if v is not None and labels.get(k) is not None and k not in filled]
    if not searched:
        return {k: None for k in scores}, None
    center = math.fsum(searched) / len(searched)
    return {k: (None if (v := _score(value)) is None else v - center) for k, value in scores.items()}, center


def confidence_of(label: bool | None, score: float | None) -> float | None:
    """A label's score in its own direction (see the module docstring); negative when they disagree."""
    if label is None or score is None:
        return None
    return score if label else -score


def confidence() -> Case:
    """`confidence_of` as a database expression over an ElicitedLabel queryset."""
    return Case(
        When(label=True, then=F("score")),
        When(label=False, then=-F("score")),
        default=Value(None),
        output_field=FloatField(),
    )


def with_confidence(qs: QuerySet) -> QuerySet:
    """ElicitedLabels annotated with `confidence`."""
    return qs.annotate(confidence=confidence())


def at_least_confident(qs: QuerySet, threshold: float) -> QuerySet:
    """Labels whose confidence is >= threshold: a label that disagrees with its score (confidence < 0) is never
    kept for a threshold >= 0; unlabeled or unscored ones never are."""
    return qs.alias(_confidence=confidence()).filter(_confidence__gte=threshold)


# A label that disagrees with the sign of its score (confidence < 0); a score of exactly 0 disagrees with neither.
DISAGREES = Q(label=True, score__lt=0) | Q(label=False, score__gt=0)


def disagreeing(qs: QuerySet) -> QuerySet:
    """Labels that disagree with the sign of their score (confidence < 0)."""
    return qs.filter(DISAGREES)


def write_labels(run_id: int, example_ids, labels: dict, scores: dict, *, filled=frozenset(), batch: int = 0,
                 chunk: int = 2000) -> int:
    """Upsert (run, example) → (label, score, kind, batch) for these examples of the run (text ids in `labels`,
    `scores` and `filled`); examples the search never labeled get label None. `scores` are stored as given:
    the worker passes `centered_scores(...)`."""
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
