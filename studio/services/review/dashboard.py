"""The review dashboard's data for a dataset and split, as one JSON-safe dict (the page renders it and the
API serves it unchanged). Its shape is documented in docs/CONTRACTS.md."""
from __future__ import annotations

from studio.models import Dataset, Evaluation, HumanLabel
from studio.services import metrics, tallies

from . import counting
from .kinds import by_kind, filled_from_tallies
from .comparison import comparison, evaluation_status
from .curves import run_curves
from .experts import EXPERT_NOTE, add_experts
from .judged_pairs import annotator_pair_cells
from .sources import (
    Source,
    annotators_in,
    check_split,
    dataset_splits,
    default_split,
    label_sources,
    latest_evaluation,
    min_annotator_labels,
    runs_for_split,
)

# Individual annotators in the kappa matrix (the most prolific first); the sources table lists them all.
MAX_KAPPA_ANNOTATORS = 8


def _source_row(source: Source, cells: dict, n_examples: int) -> dict:
    tp, fp, fn, tn = cells["tp"], cells["fp"], cells["fn"], cells["tn"]
    row = {
        **source.as_dict(),
        "labeled": cells["labeled"],
        "coverage": cells["labeled"] / n_examples if n_examples else None,
        "accuracy": metrics.accuracy_with_ci(tp + tn, tp + fp + fn + tn),
        "confusion": metrics.confusion_from_counts(tp, fp, fn, tn),
        "predicted_true": tp + fp,
    }
    if "ties" in cells:
        row["ties"] = cells["ties"]
        row["voted"] = cells["voted"]
    return row


def _with_kinds(dataset: Dataset, split: str, source: Source, row: dict, counts: dict, cells=None) -> dict:
    """A run's row also scores its elicited and filled labels apart (and together), against gold and the
    people's majority: `by_kind` (see kinds.by_kind); the filled ones from the split's tallies (`cells`) when
    the people's majority shown is a kept one."""
    if source.kind == "run":
        pairs = counts["pairs"]
        pair = pairs.get((source.key, "people"))
        if pair is None and ("people", source.key) in pairs:
            pair = _flip(pairs[("people", source.key)])
        people_ref = counts.get("people_ref")
        filled = filled_from_tallies(cells, source.run_id, people_ref) if cells is not None and people_ref else None
        row["by_kind"] = by_kind(dataset, split, source, counts["per_source"][source.key], pair, filled=filled)
    return row


def _kappa_matrix(pair_sources: list[Source], pairs: dict, judged: dict) -> dict:
    """`judged`: the annotator pairs counted per comparison pair with implied votes (judged_pairs), which
    replace their stored cells; each cell says its unit (examples, or pairs)."""
    keys = [s.key for s in pair_sources]
    pairs = {**pairs, **judged}
    matrix = []
    for i, a in enumerate(keys):
        row = []
        for j, b in enumerate(keys):
            if i == j:
                row.append({"kappa": 1.0, "n": None, "agreement": None, "unit": None})
                continue
            cells = pairs[(a, b)] if (a, b) in pairs else _flip(pairs[(b, a)])
            n = cells["tt"] + cells["tf"] + cells["ft"] + cells["ff"]
            # rows: source a says False / True; columns: source b says False / True
            kappa = metrics.cohen_kappa_from_table([[cells["ff"], cells["ft"]], [cells["tf"], cells["tt"]]])
            unit = "pairs" if (a, b) in judged or (b, a) in judged else "examples"
            row.append({"kappa": kappa, "n": n, "agreement": (cells["tt"] + cells["ff"]) / n if n else None,
                        "unit": unit})
        matrix.append(row)
    return {"keys": keys, "names": [s.name for s in pair_sources], "matrix": matrix,
            "implied_votes": bool(judged)}


def _flip(cells: dict) -> dict:
    return {"tt": cells["tt"], "ff": cells["ff"], "tf": cells["ft"], "ft": cells["tf"]}


def rater_agreement(kind: str, hist: list[tuple[int, int, int]], summary: list[dict]) -> dict | None:
    """Fleiss' kappa and Krippendorff's alpha (nominal) among raters of one kind: studio annotators
    (`annotator`) or imported crowd votes (`crowd`, vote positions treated as interchangeable raters),
    from the histogram of (False votes, True votes) per example."""
    if not hist:
        return None
    units = [(f, t) for f, t, _ in hist]
    weights = [n for _, _, n in hist]
    return {
        "kind": kind,
        "raters": sum(1 for r in summary if r["source"] == kind),
        "items": sum(weights),
        "items_with_2_or_more": sum(n for f, t, n in hist if f + t >= 2),
        "votes": sum((f + t) * n for f, t, n in hist),
        "fleiss_kappa": metrics.fleiss_kappa(units, weights),
        "krippendorff_alpha": metrics.krippendorff_alpha_nominal(units, weights),
        "histogram": [{"false": f, "true": t, "examples": n} for f, t, n in hist],
    }


def dashboard(dataset: Dataset, split: str | None = None, *, min_labels: int | None = None,
              with_curves: bool = True) -> dict:
    split = split or default_split(dataset)
    check_split(dataset, split)
    min_labels = min_annotator_labels() if min_labels is None else min_labels
    evaluation = latest_evaluation(dataset)
    cells = tallies.split_cells(dataset.pk, split)  # the split's aggregates, kept on write: one small read
    summary = tallies.vote_rows(cells)
    # label sources only: the evaluation's conditions are its own results (`comparison`), never listed here
    sources = label_sources(dataset, split, min_labels=min_labels, summary=summary)

    annotators = [s for s in sources if s.kind == "annotator"]
    pair_sources = [s for s in sources if s.kind != "annotator"] + annotators[:MAX_KAPPA_ANNOTATORS]
    counts = counting.count_stored(dataset, split, cells, sources, pair_sources, min_labels=min_labels)
    # the expert answers (adjudications on the split): their own source, in the table and the kappa matrix
    experts = add_experts(dataset, split, counts, pair_sources, min_labels=min_labels)
    sources, pair_sources = sources + experts, pair_sources + experts
    n_examples = counts["n_examples"]
    hists = counting.histograms_from_tallies(cells)
    votes_by_kind: dict[str, int] = {}
    for r in summary:
        votes_by_kind[r["source"]] = votes_by_kind.get(r["source"], 0) + r["n"]

    newest = Evaluation.objects.filter(dataset=dataset).order_by("-created_at", "-pk").first()
    return {
        "dataset": {"id": dataset.pk, "slug": dataset.slug, "name": dataset.name, "task_type": dataset.task_type,
                    "gold_derived_metadata": dataset.gold_derived_metadata},
        "split": split,
        "splits": dataset_splits(dataset),
        "n_examples": n_examples,
        "n_gold": counts["n_gold"],
        "min_annotator_labels": min_labels,
        "annotators_below_minimum": sum(1 for a in annotators_in(summary) if a["n"] < min_labels),
        "sources": [_with_kinds(dataset, split, s, _source_row(s, counts["per_source"][s.key], n_examples), counts,
                               cells)
                    for s in sources],
        "kappa": {**_kappa_matrix(pair_sources, counts["pairs"],
                                  annotator_pair_cells(dataset, cells, annotators[:MAX_KAPPA_ANNOTATORS])),
                  "annotators_left_out": max(0, len(annotators) - MAX_KAPPA_ANNOTATORS)},
        "agreement": {
            "people": rater_agreement(HumanLabel.Source.ANNOTATOR, hists[HumanLabel.Source.ANNOTATOR], summary),
            "crowd": rater_agreement(HumanLabel.Source.CROWD, hists[HumanLabel.Source.CROWD], summary),
        },
        "comparison": comparison(evaluation) if evaluation else None,
        "latest_evaluation": evaluation_status(newest),
        "runs": [run_curves(r) if with_curves else {"run_id": r.pk} for r in runs_for_split(dataset, split)],
        "votes_by_kind": votes_by_kind,
        "expert_note": EXPERT_NOTE if experts else "",
    }
