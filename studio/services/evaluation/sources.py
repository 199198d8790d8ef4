"""The train-split labels each prompting condition's demonstrations carry: gold, the people's majority, the
imported crowd votes' majority, and each included ICM run's elicited labels (database only). Random labels are
drawn per repeat in planning; the zero-shot conditions have no demonstrations."""
from __future__ import annotations

from dataclasses import dataclass, field

from studio.models import Dataset, ElicitedLabel, Example, GoldLabel
from studio.services.review import people_majority

from .eligibility import RunChoice


@dataclass
class LabelSource:
    key: str
    kind: str
    name: str
    labels: dict[int, bool]
    run_id: int | None = None
    model: str = ""
    marks: list[str] = field(default_factory=list)
    # an ICM run's labels filled after the search (model predictions where the search left an item): the trained
    # measure's "elicited + filled" condition; the in-context conditions use the elicited labels alone
    filled: dict[int, bool] = field(default_factory=dict)


def _people(dataset: Dataset, split: str, min_labels: int | None) -> dict[int, bool]:
    rows = people_majority(dataset, split, min_labels=min_labels)
    return {pk: label for pk, label in rows.values_list("pk", "majority") if label is not None}


def _crowd(dataset: Dataset, split: str) -> dict[int, bool]:
    rows = (Example.objects.filter(dataset=dataset, split=split)
            .exclude(crowd_true=0, crowd_false=0).values_list("pk", "crowd_true", "crowd_false"))
    return {pk: t > f for pk, t, f in rows if t != f}  # ties leave the example unlabeled


def label_sources(dataset: Dataset, config: dict, runs: list[RunChoice]) -> list[LabelSource]:
    """The sources with at least one train label, in the paper's order: people, crowd, ICM runs, gold."""
    train, kinds = config["train_split"], set(config["conditions"])
    out = []
    if "people" in kinds:
        out.append(LabelSource("people", "people", "People's labels", _people(dataset, train, config.get("min_labels"))))
    if "crowd" in kinds:
        out.append(LabelSource("crowd", "crowd", "Crowd votes' labels", _crowd(dataset, train)))
    if "icm" in kinds:
        for choice in runs:
            labels = dict(ElicitedLabel.objects.filter(run=choice.run, example__split=train,
                                                       kind=ElicitedLabel.Kind.ELICITED)
                          .values_list("example_id", "label"))
            filled = dict(ElicitedLabel.objects.filter(run=choice.run, example__split=train, label__isnull=False,
                                                       kind=ElicitedLabel.Kind.FILLED)
                          .values_list("example_id", "label"))
            out.append(LabelSource(f"run:{choice.run.pk}", "icm", f"ICM run {choice.run.pk}", labels, run_id=choice.run.pk,
                                   model=choice.run.model, marks=choice.marks, filled=filled))
    if "gold" in kinds:
        out.append(LabelSource("gold", "gold", "Gold labels", dict(
            GoldLabel.objects.filter(example__dataset=dataset, example__split=train).values_list("example_id", "label"))))
    return [s for s in out if s.labels]
