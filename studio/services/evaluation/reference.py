"""What an evaluation scores its test items against: gold, or — where the test split has no gold — an
adjudication's expert answers (the "expert" label source), and then it says so everywhere it reports a number.

Expert answers only ever score: they are never demonstrations, never gold, never a condition. The items they
cover are the adjudication's sample, drawn mostly where two sources disagree, so accuracies on them describe those
items, not the split; the note says this beside the numbers."""
from __future__ import annotations

from collections.abc import Mapping

from studio.models import Adjudication, AdjudicationItem, Dataset, GoldLabel

from .errors import EvaluationRefused

GOLD, EXPERT = "gold", "expert"


def _answered(adjudication_id: int):
    return AdjudicationItem.objects.filter(adjudication_id=adjudication_id, expert_label__isnull=False)


def choose(dataset: Dataset, options: Mapping, test_split: str) -> tuple[str, int | None]:
    """(GOLD, None) or (EXPERT, adjudication id). `adjudication` in the options names one (refused by name unless
    it is this dataset's, on the test split, with answers); without it, gold where the test split has gold, else
    the newest answered adjudication on the test split; neither is refused naming test_split."""
    raw = options.get("adjudication")
    if raw not in (None, ""):
        if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())):
            raise EvaluationRefused(f"adjudication must be an adjudication's id (a whole number); got "
                                    f"{str(raw)[:40]!r}", "adjudication")
        pk = int(raw)
        adj = Adjudication.objects.filter(dataset=dataset, pk=pk).first() if pk < 2**63 else None
        if adj is None:
            raise EvaluationRefused(f"adjudication: dataset {dataset.slug!r} has no adjudication {pk}", "adjudication")
        if adj.split != test_split:
            raise EvaluationRefused(f"adjudication {pk} is on split {adj.split!r}, not the evaluation's test split "
                                    f"{test_split!r}", "adjudication")
        if not _answered(pk).exists():
            raise EvaluationRefused(f"adjudication {pk} has no expert answers yet: nothing to score on",
                                    "adjudication")
        return EXPERT, pk
    if GoldLabel.objects.filter(example__dataset=dataset, example__split=test_split).exists():
        return GOLD, None
    newest = (Adjudication.objects.filter(dataset=dataset, split=test_split, items__expert_label__isnull=False)
              .order_by("-pk").values_list("pk", flat=True).first())
    if newest is not None:
        return EXPERT, newest
    raise EvaluationRefused(f"the {test_split!r} split has no gold labels: accuracy cannot be measured. Open an "
                            "adjudication on it (review dashboard): its expert answers can score the evaluation "
                            "instead", "test_split")


def answered_ids(adjudication_id: int) -> list[int]:
    """The adjudication's answered items, in dataset order."""
    return list(_answered(adjudication_id).order_by("example__position", "example_id")
                .values_list("example_id", flat=True))


def labels(config: dict, test_ids: list[int]) -> dict[int, bool]:
    """The right answer of each test item: its gold, or its expert answer."""
    if config.get("reference") == EXPERT:
        return dict(_answered(config["adjudication"]).filter(example_id__in=test_ids)
                    .values_list("example_id", "expert_label"))
    return dict(GoldLabel.objects.filter(example_id__in=test_ids).values_list("example_id", "label"))


def items_phrase(config: dict) -> str:
    """How the verdict's sentences name the items they count: 'test items' or 'expert-adjudicated items, no gold'."""
    return "expert-adjudicated items, no gold" if config.get("reference") == EXPERT else "test items"


def describe(config: dict, n: int) -> dict:
    """The results' `reference`: what the test items were scored against, in words."""
    if config.get("reference") != EXPERT:
        return {"kind": GOLD, "adjudication": None, "n": n, "note": ""}
    adj = Adjudication.objects.get(pk=config["adjudication"])
    return {"kind": EXPERT, "adjudication": adj.pk, "n": n,
            "note": (f"Scored on {n} expert-adjudicated item{'s' if n != 1 else ''}, no gold: the answers of "
                     f"adjudication {adj.pk}, whose sample was drawn mostly ({round(100 * adj.share_disagreements)}%) "
                     f"where {adj.name_a} and {adj.name_b} disagree, so these accuracies describe those items, not "
                     f"the whole {adj.split!r} split.")}
