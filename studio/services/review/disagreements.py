"""Examples where two label sources disagree, filtered by which side matches gold and sorted by the
model's confidence (|score| of an ICM run), by the people's agreement (share of annotators voting with
their majority) or by position — paginated by keyset: the cursor holds the last row's sort value and id,
and the next page is `WHERE (key, id) < (cursor)`; no OFFSET, so page 1,000 costs what page 1 does."""
from __future__ import annotations

import base64
import binascii
import json

from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Abs, Cast, Coalesce, Greatest

from studio.models import Dataset, HumanLabel

from .sources import ReviewError, Source, annotate_source, check_split, find_source, runs_for_split, split_examples, vote_counts

GOLD_FILTERS = {
    "any": "every disagreement",
    "a": "the first source matches gold",
    "b": "the second source matches gold",
    "no_gold": "examples without gold",
}
SORTS = {
    "confidence": "the model's confidence |score|",
    "agreement": "the people's agreement",
    "position": "the dataset's order",
}
DIRECTIONS = ("desc", "asc")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def encode_cursor(value, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, pk]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float | int, int]:
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(pk, int) or not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError
        return value, pk
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ReviewError(f"malformed page cursor {cursor[:40]!r}; start again from the first page") from None


def _score_source(dataset: Dataset, split: str, a: Source, b: Source, score_run: int | None) -> Source:
    if score_run is not None:
        return find_source(dataset, split, f"run:{score_run}")
    for s in (a, b):
        if s.kind == "run":
            return s
    run = runs_for_split(dataset, split).last()
    if run is None:
        raise ReviewError("sorting by the model's confidence needs a completed ICM run on this split")
    return Source(key=f"run:{run.pk}", kind="run", name=f"ICM run {run.pk}", run_id=run.pk)


def disagreements(
    dataset: Dataset,
    split: str,
    a_key: str,
    b_key: str,
    *,
    gold: str = "any",
    sort: str = "confidence",
    direction: str = "desc",
    after: str | None = None,
    limit: int = PAGE_SIZE,
    score_run: int | None = None,
    with_total: bool | None = None,
) -> dict:
    """One page: {"rows": [...], "next": cursor or None, "total": int or None, ...}. `total` is counted
    on the first page only (it costs a pass over the split) unless with_total says otherwise."""
    check_split(dataset, split)
    if gold not in GOLD_FILTERS:
        raise ReviewError(f"gold filter must be one of {', '.join(GOLD_FILTERS)}; got {gold!r}")
    if sort not in SORTS:
        raise ReviewError(f"sort must be one of {', '.join(SORTS)}; got {sort!r}")
    if direction not in DIRECTIONS:
        raise ReviewError(f"direction must be 'desc' or 'asc'; got {direction!r}")
    if not (1 <= int(limit) <= MAX_PAGE_SIZE):
        raise ReviewError(f"page size must be between 1 and {MAX_PAGE_SIZE}; got {limit}")
    if a_key == b_key:
        raise ReviewError("choose two different sources to compare")
    a = find_source(dataset, split, a_key)
    b = find_source(dataset, split, b_key)
    cursor = decode_cursor(after) if after else None
    score_src = _score_source(dataset, split, a, b, score_run) if sort == "confidence" else None

    qs = split_examples(dataset, split).annotate(gold_label=F("gold__label"))
    qs = annotate_source(qs, a, "side_a", with_score=True)
    qs = annotate_source(qs, b, "side_b", with_score=True)
    if score_src is not None:
        if score_src.key == a.key:
            score_col = "side_a_score"
        elif score_src.key == b.key:
            score_col = "side_b_score"
        else:
            qs = annotate_source(qs, score_src, "model", with_score=True)
            score_col = "model_score"
        qs = qs.annotate(model_score_value=F(score_col))
    counts = vote_counts(HumanLabel.Source.ANNOTATOR)
    qs = qs.annotate(people_t=counts["annotator_t"], people_f=counts["annotator_f"])

    qs = qs.filter(Q(side_a=True, side_b=False) | Q(side_a=False, side_b=True))
    if gold == "a":
        qs = qs.filter(side_a=F("gold_label"))
    elif gold == "b":
        qs = qs.filter(side_b=F("gold_label"))
    elif gold == "no_gold":
        qs = qs.filter(gold_label__isnull=True)

    if sort == "confidence":
        # rows without a score sort last (descending) / first (ascending)
        qs = qs.annotate(sort_key=Coalesce(Abs(F("model_score_value")), Value(-1.0), output_field=FloatField()))
    elif sort == "agreement":
        qs = qs.annotate(sort_key=Case(
            When(Q(people_t__gt=0) | Q(people_f__gt=0),
                 then=Cast(Greatest("people_t", "people_f"), FloatField())
                 / Cast(F("people_t") + F("people_f"), FloatField())),
            default=Value(-1.0), output_field=FloatField()))
    else:
        qs = qs.annotate(sort_key=F("position"))

    total = None
    if with_total or (with_total is None and cursor is None):
        total = qs.count()

    if cursor is not None:
        value, pk = cursor
        op = "lt" if direction == "desc" else "gt"
        qs = qs.filter(Q(**{f"sort_key__{op}": value}) | Q(sort_key=value, **{f"pk__{op}": pk}))
    order = ["-sort_key", "-pk"] if direction == "desc" else ["sort_key", "pk"]
    fields = ["pk", "external_id", "position", "prompt", "fields", "gold_label", "side_a", "side_b",
              "side_a_score", "side_b_score", "people_t", "people_f", "sort_key"]
    if score_src is not None:
        fields.append("model_score_value")
    page = list(qs.order_by(*order).values(*fields)[: limit + 1])

    has_more = len(page) > limit
    page = page[:limit]
    rows = []
    for r in page:
        g = r["gold_label"]
        rows.append({
            "example_id": r["pk"],
            "external_id": r["external_id"],
            "position": r["position"],
            "text": _preview(dataset, r["fields"], r["prompt"]),
            "a": r["side_a"],
            "b": r["side_b"],
            "gold": g,
            "correct": None if g is None else ("a" if r["side_a"] == g else "b"),
            "a_score": r["side_a_score"],
            "b_score": r["side_b_score"],
            "model_score": r.get("model_score_value"),
            "people_true": r["people_t"],
            "people_false": r["people_f"],
            "people_agreement": r["sort_key"] if sort == "agreement" and r["sort_key"] >= 0 else _share(r["people_t"], r["people_f"]),
        })
    nxt = encode_cursor(page[-1]["sort_key"], page[-1]["pk"]) if has_more and page else None
    return {
        "a": a.as_dict(),
        "b": b.as_dict(),
        "score_source": score_src.as_dict() if score_src else None,
        "gold": gold,
        "sort": sort,
        "direction": direction,
        "limit": limit,
        "rows": rows,
        "next": nxt,
        "total": total,
    }


def _share(t: int, f: int) -> float | None:
    return max(t, f) / (t + f) if (t + f) else None


PREVIEW_CHARS = 240


def _preview(dataset: Dataset, fields: dict, prompt: str) -> str:
    shown = [str(fields.get(k, "")) for k in (dataset.display_fields or []) if fields.get(k) not in (None, "")]
    text = " · ".join(shown) if shown else prompt
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def default_pair(sources: list[Source], a: str | None, b: str | None) -> tuple[str | None, str | None]:
    """The two sources to compare when the page is opened without a choice: the first ICM run against
    the people's majority (else the crowd's, else the next source)."""
    keys = [s.key for s in sources]
    runs = [s.key for s in sources if s.kind == "run"]
    a = a or (runs[0] if runs else (keys[0] if keys else None))
    if not b:
        b = next((k for k in ("people", "crowd") if k in keys and k != a), None) or next((k for k in keys if k != a), None)
    return a, b
