"""One pass over a split's examples that counts, for every source, its coverage and confusion against
gold, and for every pair of sources their 2x2 agreement table — all as conditional aggregates
(COUNT(*) FILTER (WHERE ...)) in a single SQL statement, however many examples there are."""
from __future__ import annotations

from itertools import combinations

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from studio.models import Dataset, HumanLabel

from .sources import Source, annotate_source, split_examples


def _alias(i: int) -> str:
    return f"src{i}"


def wide_queryset(dataset: Dataset, split: str, sources: list[Source]) -> QuerySet:
    qs = split_examples(dataset, split).annotate(gold_label=F("gold__label"))
    for i, s in enumerate(sources):
        qs = annotate_source(qs, s, _alias(i))
    return qs


def count_everything(dataset: Dataset, split: str, sources: list[Source], pair_sources: list[Source]) -> dict:
    """Returns {"n_examples", "n_gold", "per_source": {key: cells}, "pairs": {(key_a, key_b): cells}}.

    per-source cells: labeled, tp, fp, fn, tn (confusion against gold over examples that have both), and
    for vote-based sources `ties` (equal True/False votes) and `voted` (at least one vote).
    pair cells: tt, tf, ft, ff over examples both sources labeled."""
    qs = wide_queryset(dataset, split, sources)
    aggs: dict = {"n_examples": Count("pk"), "n_gold": Count("pk", filter=Q(gold_label__isnull=False))}
    index = {s.key: i for i, s in enumerate(sources)}
    for i, s in enumerate(sources):
        a = _alias(i)
        aggs[f"{a}__labeled"] = Count("pk", filter=Q(**{f"{a}__isnull": False}))
        for cell, (lab, gold) in {"tp": (True, True), "fp": (True, False), "fn": (False, True), "tn": (False, False)}.items():
            aggs[f"{a}__{cell}"] = Count("pk", filter=Q(**{a: lab, "gold_label": gold}))
        if s.kind in ("people", "crowd"):
            aggs[f"{a}__ties"] = Count("pk", filter=Q(**{f"{a}_t": F(f"{a}_f"), f"{a}_t__gt": 0}))
            aggs[f"{a}__voted"] = Count("pk", filter=Q(**{f"{a}_t__gt": 0}) | Q(**{f"{a}_f__gt": 0}))
    for sa, sb in combinations(pair_sources, 2):
        a, b = _alias(index[sa.key]), _alias(index[sb.key])
        for cell, (va, vb) in {"tt": (True, True), "tf": (True, False), "ft": (False, True), "ff": (False, False)}.items():
            aggs[f"{a}__{b}__{cell}"] = Count("pk", filter=Q(**{a: va, b: vb}))
    row = qs.aggregate(**aggs)

    per_source = {}
    for i, s in enumerate(sources):
        prefix = f"{_alias(i)}__"
        per_source[s.key] = {k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix) and k.count("__") == 1}
    pairs = {}
    for sa, sb in combinations(pair_sources, 2):
        prefix = f"{_alias(index[sa.key])}__{_alias(index[sb.key])}__"
        pairs[(sa.key, sb.key)] = {k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix)}
    return {"n_examples": row["n_examples"], "n_gold": row["n_gold"], "per_source": per_source, "pairs": pairs}


def vote_histogram(dataset: Dataset, split: str, kind: str) -> list[tuple[int, int, int]]:
    """[(false_votes, true_votes, number_of_examples)] over the split's examples with at least one vote of
    this kind (annotator | crowd). The per-example counts are grouped once more in SQL, so what comes back
    is a handful of rows however large the dataset."""
    inner = (
        HumanLabel.objects.filter(example__dataset=dataset, example__split=split, source=kind)
        .order_by()
        .values("example_id")
        .annotate(t=Count("pk", filter=Q(label=True)), f=Count("pk", filter=Q(label=False)))
        .values("t", "f")
    )
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"SELECT v.f, v.t, COUNT(*) FROM ({sql}) v GROUP BY v.f, v.t ORDER BY v.f, v.t", params)
        return [(int(f), int(t), int(n)) for f, t, n in cur.fetchall()]


def raters_count(dataset: Dataset, split: str, kind: str) -> int:
    qs = HumanLabel.objects.filter(example__dataset=dataset, example__split=split, source=kind).order_by()
    field = "annotator_id" if kind == HumanLabel.Source.ANNOTATOR else "crowd_voter"
    return qs.values(field).distinct().count()
