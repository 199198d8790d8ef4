"""Examples where two label sources disagree, filtered by which side matches gold and sorted by the
model's confidence (|score| of an ICM run), by the people's agreement (share of annotators voting with
their majority) or by position — paginated by keyset: the cursor holds the last row's sort value and id,
and the next page is `WHERE (key, id) < (cursor)`; no OFFSET. Every order walks an index (confidence:
ElicitedLabel's |score| index; agreement: the example's people_agreement, kept on write; position), so a
page reads about the rows it shows, not the split."""
from __future__ import annotations

import base64
import binascii
import json

from django.db import connection, transaction
from django.db.models import F, FloatField, Q, Value
from django.db.models.functions import Abs, Coalesce

from studio.models import Dataset, ElicitationRun, ElicitedLabel, HumanLabel
from studio.services.export.styles import display_field_names

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
        if not 0 < pk < 2**63 or not abs(value) <= 2**53:  # a crafted cursor: a bigint id, a finite sort value
            raise ValueError
        return value, pk
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ReviewError(f"malformed page cursor {cursor[:40]!r}; start again from the first page") from None


def default_sort(dataset: Dataset, split: str) -> str:
    """The order a table opened without one uses: the model's confidence where a completed ICM run on the split
    gives scores, else the people's agreement (a link into a study before its run must not be refused)."""
    return "confidence" if runs_for_split(dataset, split).exists() else "agreement"


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


def _keyset(qs, cursor, direction: str, key: str = "sort_key", pk: str = "pk"):
    """(key, pk) past the cursor, written `key <= v AND (key < v OR pk < last)` so the first term bounds an
    index range scan (an OR alone would make the scan start from the top and filter)."""
    if cursor is None:
        return qs
    value, last = cursor
    op = "lt" if direction == "desc" else "gt"
    return qs.filter(Q(**{f"{key}__{op}e": value}) & (Q(**{f"{key}__{op}": value}) | Q(**{f"{pk}__{op}": last})))


def _ordered(qs, direction: str, key: str = "sort_key", pk: str = "pk"):
    return qs.order_by(f"-{key}", f"-{pk}") if direction == "desc" else qs.order_by(key, pk)


def _drivers(dataset: Dataset, split: str, sort: str, score_src: Source | None, direction: str) -> list:
    """Cheap ordered streams of (sort_key, example id) over the split whose concatenation is the table's
    order. Confidence: the score run's scored labels by |score| (one table, no join unless the run spans
    every split), then — as key −1 — the examples it left unscored. Agreement: the examples by their
    people_agreement column (an index). Position: the examples by position (an index). Each is read in
    chunks and only the chunk's examples get the full disagreement test."""
    examples = split_examples(dataset, split)
    if sort == "position":
        return [(examples.annotate(sort_key=F("position")), "pk")]
    if sort == "agreement":
        return [(examples.annotate(sort_key=F("people_agreement")), "pk")]
    scored = ElicitedLabel.objects.filter(run_id=score_src.run_id, score__isnull=False)
    if ElicitationRun.objects.filter(pk=score_src.run_id, split="").exists():
        scored = scored.filter(example__dataset=dataset, example__split=split)
    scored = scored.order_by().annotate(sort_key=Abs("score"))
    unscored = examples.exclude(pk__in=ElicitedLabel.objects.filter(run_id=score_src.run_id, score__isnull=False)
                                .values("example_id")).annotate(sort_key=Value(-1.0, output_field=FloatField()))
    parts = [(scored, "example_id"), (unscored, "pk")]
    return parts if direction == "desc" else parts[::-1]


PROBE_FIRST, PROBE_MAX = 256, 16384


def _by_index_probes() -> None:
    """PostgreSQL, this transaction: join a chunk's examples to each source by index probes. From about a
    thousand ids up the planner hashes the whole of a run's labels instead (linear in the split: measured
    20 ms at 100,000 examples for a 1,024-id chunk, against 2 ms probing)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_hashjoin = off")
            cur.execute("SET LOCAL enable_mergejoin = off")
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")


def _probe_page(full, drivers, cursor, direction: str, want: int) -> list[dict]:
    """Walk the drivers from the cursor, testing chunks of candidates against the full disagreement
    query (restricted to the chunk's ids), until `want` rows are found or the drivers run out. Chunks
    grow 4x each round, so a sparse disagreement costs a few rounds, not a pass per row. One keyset
    position serves every driver: their keys do not overlap, so a later driver's keys all lie past it."""
    found: list[dict] = []
    position = cursor
    for driver, pk_field in drivers:
        chunk = PROBE_FIRST
        while len(found) < want:
            cands = list(_ordered(_keyset(driver, position, direction, pk=pk_field), direction, pk=pk_field)
                         .values_list("sort_key", pk_field)[:chunk])
            if not cands:
                break
            hits = {r["pk"]: r for r in full.filter(pk__in=[pk for _, pk in cands])}
            found.extend(hits[pk] for _, pk in cands if pk in hits)
            position = cands[-1]
            if len(cands) < chunk:
                break
            chunk = min(chunk * 4, PROBE_MAX)
        if len(found) >= want:
            break
    return found[:want]


def disagreements(
    dataset: Dataset,
    split: str,
    a_key: str,
    b_key: str,
    *,
    gold: str = "any",
    sort: str | None = None,
    direction: str = "desc",
    after: str | None = None,
    limit: int = PAGE_SIZE,
    score_run: int | None = None,
    with_total: bool = False,
) -> dict:
    """One page: {"rows": [...], "next": cursor or None, "total": int or None, ...}. `total` (a pass over
    the whole split) is counted only when with_total is set. `sort` None: default_sort."""
    check_split(dataset, split)
    sort = sort or default_sort(dataset, split)
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
        # the same key the driver orders by: |score|, and −1 for examples the score run did not score
        qs = qs.annotate(sort_key=Coalesce(Abs(F("model_score_value")), Value(-1.0), output_field=FloatField()))
    elif sort == "agreement":  # share voting with the majority, −1 without votes (a column kept on write)
        qs = qs.annotate(sort_key=F("people_agreement"))
    else:
        qs = qs.annotate(sort_key=F("position"))

    total = qs.count() if with_total else None

    fields = ["pk", "external_id", "position", "prompt", "fields", "gold_label", "side_a", "side_b",
              "side_a_score", "side_b_score", "side_a_kind", "side_b_kind", "people_t", "people_f", "sort_key"]
    if score_src is not None:
        fields.append("model_score_value")
    full = qs.values(*fields)
    with transaction.atomic():
        _by_index_probes()
        page = _probe_page(full, _drivers(dataset, split, sort, score_src, direction), cursor, direction, limit + 1)

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
            "a_kind": r["side_a_kind"],  # a run's label: elicited / filled; None for people and other sources
            "b_kind": r["side_b_kind"],
            "gold": g,
            "correct": None if g is None else ("a" if r["side_a"] == g else "b"),
            "a_score": r["side_a_score"],
            "b_score": r["side_b_score"],
            "model_score": r.get("model_score_value"),
            "people_true": r["people_t"],
            "people_false": r["people_f"],
            "people_agreement": _share(r["people_t"], r["people_f"]),
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


PREVIEW_CHARS = 200


def _preview(dataset: Dataset, fields: dict, prompt: str) -> str:

    shown = [str(fields.get(k, "")) for k in display_field_names(dataset) if fields.get(k) not in (None, "")]
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
