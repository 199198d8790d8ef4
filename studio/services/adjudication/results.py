"""An adjudication's live estimate for admins and reviewers: counts from the expert's answers so far, the
difference and each source's accuracy with their intervals (studio.services.adjudication.estimate), how many
more adjudications reach the admin's width, the verdict sentence, and — only where gold exists — gold's answer
beside it. Also the sample as rows (strata, weights, both sources' labels, the expert's answer) for downloads."""
from __future__ import annotations

from django.db.models import Count, F, Q

from studio.models import Adjudication, AdjudicationItem, GoldLabel
from studio.services import review
from studio.services.review.sources import annotate_source, split_examples

from . import estimate
from .sampling import AGREE, DISAGREE

CSV_COLUMNS = ["order", "example_id", "external_id", "stratum", "weight", "label_a", "label_b", "expert_label",
               "expert_sides_with", "adjudicator", "labeled_at", "note"]


def counts(adj: Adjudication) -> estimate.Counts:
    agg = adj.items.filter(expert_label__isnull=False).aggregate(
        d=Count("pk", filter=Q(stratum=DISAGREE)), a_right=Count("pk", filter=Q(stratum=DISAGREE, expert_label=F("label_a"))),
        g=Count("pk", filter=Q(stratum=AGREE)), g_right=Count("pk", filter=Q(stratum=AGREE, expert_label=F("label_a"))))
    return estimate.Counts(n_items=adj.n_items, n_disagree=adj.n_disagree, a_right=agg["a_right"],
                           d_adjudicated=agg["d"], g_right=agg["g_right"], g_adjudicated=agg["g"])


def _pts(x: float) -> str:
    return f"{round(100 * x, 1) + 0.0:.1f}".replace("-", "−")


def verdict(adj: Adjudication, c: estimate.Counts, diff: dict) -> str:
    n = c.d_adjudicated + c.g_adjudicated
    mark = f"From {n} expert adjudication{'s' if n != 1 else ''}, no gold"
    where = f"on {c.n_items} items both label ({c.n_disagree} where they disagree)"
    if diff["estimate"] is None:
        return (f"{mark}: nothing adjudicated among the disagreements yet; {adj.name_a} and {adj.name_b} differ "
                f"by at most {_pts(c.n_disagree / max(c.n_items, 1))} points {where}.")
    ci = f"95% interval {_pts(diff['ci_low'])} to {_pts(diff['ci_high'])}"
    if diff["ci_low"] > 0:
        return f"{mark}: {adj.name_a} is about {_pts(diff['estimate'])} points more accurate than {adj.name_b} ({ci}) {where}."
    if diff["ci_high"] < 0:
        return (f"{mark}: {adj.name_b} is about {_pts(-diff['estimate'])} points more accurate than {adj.name_a} "
                f"(95% interval {_pts(-diff['ci_high'])} to {_pts(-diff['ci_low'])}) {where}.")
    sign = "+" if round(100 * diff["estimate"], 1) > 0 else ""
    return (f"{mark}: no detectable difference between {adj.name_a} and {adj.name_b}: {sign}{_pts(diff['estimate'])} "
            f"points ({ci}) {where}.")


def gold_beside(adj: Adjudication) -> dict | None:
    """Gold's answer on the split, where gold exists: each source's accuracy and the difference over the items
    both label that have gold, with the sources' current labels (None without gold)."""
    dataset = adj.dataset
    if not GoldLabel.objects.filter(example__dataset=dataset, example__split=adj.split).exists():
        return None
    try:
        a = review.find_source(dataset, adj.split, adj.source_a)
        b = review.find_source(dataset, adj.split, adj.source_b)
    except review.ReviewError:
        return None  # a source has gone (a deleted run): nothing to compare
    qs = annotate_source(annotate_source(split_examples(dataset, adj.split), a, "src_a"), b, "src_b")
    agg = qs.filter(src_a__isnull=False, src_b__isnull=False, gold__isnull=False).aggregate(
        n=Count("pk"), a=Count("pk", filter=Q(src_a=F("gold__label"))),
        b=Count("pk", filter=Q(src_b=F("gold__label"))))
    if not agg["n"]:
        return None
    return {"n": agg["n"], "accuracy_a": agg["a"] / agg["n"], "accuracy_b": agg["b"] / agg["n"],
            "difference": (agg["a"] - agg["b"]) / agg["n"]}


def result(adj: Adjudication, *, with_gold: bool = True) -> dict:
    c = counts(adj)
    out = estimate.summary(c, half_width=adj.target_half_width, share_disagreements=adj.share_disagreements)
    out["adjudicated"] = c.d_adjudicated + c.g_adjudicated
    out["verdict"] = verdict(adj, c, out["difference"])
    out["gold"] = gold_beside(adj) if with_gold else None
    return out


def describe(adj: Adjudication) -> dict:
    return {"id": adj.pk, "dataset": adj.dataset_id, "dataset_slug": adj.dataset.slug, "split": adj.split,
            "source_a": {"key": adj.source_a, "name": adj.name_a}, "source_b": {"key": adj.source_b, "name": adj.name_b},
            "budget": adj.budget, "share_disagreements": adj.share_disagreements,
            "target_half_width": adj.target_half_width, "seed": adj.seed, "n_items": adj.n_items,
            "n_disagree": adj.n_disagree, "created_at": adj.created_at.isoformat(),
            "created_by": adj.created_by.get_username() if adj.created_by_id else None}


def sample_rows(adj: Adjudication) -> list[dict]:
    """The sample for admins' and reviewers' downloads: strata, weights and both sources' labels (never gold)."""
    rows = []
    items = AdjudicationItem.objects.filter(adjudication=adj).select_related("example", "adjudicator").order_by("order")
    for it in items:
        sides = None
        if it.expert_label is not None:
            sides = ("both" if it.label_a == it.expert_label else "neither") if it.stratum == AGREE else \
                ("a" if it.label_a == it.expert_label else "b")
        rows.append({"order": it.order, "example_id": it.example_id, "external_id": it.example.external_id,
                     "stratum": it.stratum, "weight": it.weight, "label_a": it.label_a, "label_b": it.label_b,
                     "expert_label": it.expert_label, "expert_sides_with": sides,
                     "adjudicator": it.adjudicator.get_username() if it.adjudicator_id else None,
                     "labeled_at": it.labeled_at.isoformat() if it.labeled_at else None, "note": it.note})
    return rows


def dashboard_rows(dataset, split: str, limit: int = 10) -> list[dict]:
    """The dashboard's adjudications section: the split's newest adjudications with their estimates."""
    adjs = Adjudication.objects.filter(dataset=dataset, split=split).select_related("dataset", "created_by")[:limit]
    return [{"adj": a, "info": describe(a), "result": result(a)} for a in adjs]
