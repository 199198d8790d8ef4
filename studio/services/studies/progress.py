"""How far the people are on a study's items. A comparison pair counts once (each person sees one order; the
other order's label is implied), so "units" are groups on a comparison dataset and examples otherwise."""
from __future__ import annotations

import math
from collections import defaultdict

from django.contrib.auth import get_user_model

from studio.models import Dataset, Example, HumanLabel, Membership, Study


def units_of(study: Study, ids) -> dict[int, object]:
    """example pk -> its unit (its group on a comparison dataset, else itself)."""
    rows = Example.objects.filter(pk__in=list(ids)).values_list("pk", "group")
    by_pair = study.dataset.consistency == Dataset.Consistency.COMPARISON
    return {pk: (group if by_pair and group else pk) for pk, group in rows}


def people(study: Study) -> list:
    """Who labels for the study: its annotators, or everyone annotating the dataset."""
    chosen = list(study.annotators.order_by("username"))
    if chosen:
        return chosen
    User = get_user_model()
    return list(User.objects.filter(memberships__dataset=study.dataset,
                                    memberships__role=Membership.Role.ANNOTATOR).distinct().order_by("username"))


def labeling_progress(study: Study) -> dict:
    """Per person: units labeled of their share; overall: units with k people, and whether all are done."""
    k = study.annotators_per_item
    from .queue_scope import InStudy

    people_cond = study.human_condition == Study.HumanCondition.PEOPLE
    by_pair = study.dataset.consistency == Dataset.Consistency.COMPARISON
    examples = Example.objects.filter(InStudy("pk", study), dataset_id=study.dataset_id) if people_cond else []
    unit_of = {pk: (group if by_pair and group else pk)  # the ids read in the database, never sent back to it
               for pk, group in (examples.values_list("pk", "group") if people_cond else [])}
    units = set(unit_of.values())
    who_by_unit: dict[object, set[int]] = defaultdict(set)
    mine: dict[int, set] = defaultdict(set)
    labels = (HumanLabel.objects.filter(InStudy("example_id", study), source=HumanLabel.Source.ANNOTATOR)
              if people_cond else HumanLabel.objects.none())
    for annotator_id, example_id in labels.values_list("annotator_id", "example_id"):
        who_by_unit[unit_of[example_id]].add(annotator_id)
        mine[annotator_id].add(unit_of[example_id])
    everyone = people(study)
    listed = {u.pk for u in everyone}
    User = get_user_model()
    extra = list(User.objects.filter(pk__in=set(mine) - listed).order_by("username"))  # labeled, not (now) listed
    share = math.ceil(len(units) * k / max(len(everyone), k, 1)) if units else 0
    rows = [{"user_id": u.pk, "username": u.get_username(), "labeled": len(mine.get(u.pk, ())),
             "assigned": share} for u in everyone + extra]
    complete = sum(1 for unit in units if len(who_by_unit.get(unit, ())) >= k)
    return {"units": len(units), "unit_word": "pairs" if study.dataset.consistency == Dataset.Consistency.COMPARISON
            else "items", "k": k, "complete_units": complete, "all_done": bool(units) and complete == len(units),
            "labels": sum(len(v) for v in mine.values()), "people": rows}
