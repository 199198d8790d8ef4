"""How far the people are on a study's items. A comparison pair counts once (each person sees one order; the
other order's label is implied), so "units" are groups on a comparison dataset and examples otherwise."""
from __future__ import annotations

import math

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Cast, Concat

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


def _unit(prefix: str, by_pair: bool):
    """A label's or example's unit as an expression: its group on a comparison dataset (itself when it has
    none), else the example."""
    pk = f"{prefix}id" if prefix else "pk"
    if not by_pair:
        return F(pk)
    return Case(When(~Q(**{f"{prefix}group": ""}), then=F(f"{prefix}group")),
                default=Concat(Value("alone-"), Cast(pk, CharField())), output_field=CharField())


def labeling_progress(study: Study) -> dict:
    """Per person: units labeled of their share; overall: units with k people, and whether all are done.
    Counted in the database (a study under way holds up to millions of labels; state.json asks every 2 s)."""
    k = study.annotators_per_item
    from .queue_scope import InStudy

    by_pair = study.dataset.consistency == Dataset.Consistency.COMPARISON
    n_units, mine, complete = 0, {}, 0
    if study.human_condition == Study.HumanCondition.PEOPLE:
        examples = Example.objects.filter(InStudy("pk", study), dataset_id=study.dataset_id)
        n_units = examples.aggregate(n=Count(_unit("", by_pair), distinct=True))["n"]
        labels = HumanLabel.objects.filter(InStudy("example_id", study), source=HumanLabel.Source.ANNOTATOR)
        unit = _unit("example__", by_pair)
        mine = dict(labels.values("annotator_id").annotate(n=Count(unit, distinct=True) if by_pair else Count("pk"))
                    .values_list("annotator_id", "n"))
        complete = (labels.annotate(unit=unit).values("unit").annotate(who=Count("annotator_id", distinct=True))
                    .filter(who__gte=k).count())
    everyone = people(study)
    listed = {u.pk for u in everyone}
    User = get_user_model()
    extra = list(User.objects.filter(pk__in=set(mine) - listed).order_by("username"))  # labeled, not (now) listed
    share = math.ceil(n_units * k / max(len(everyone), k, 1)) if n_units else 0
    rows = [{"user_id": u.pk, "username": u.get_username(), "labeled": mine.get(u.pk, 0),
             "assigned": share} for u in everyone + extra]
    return {"units": n_units, "unit_word": "pairs" if by_pair else "items", "k": k, "complete_units": complete,
            "all_done": bool(n_units) and complete == n_units, "labels": sum(mine.values()), "people": rows}
