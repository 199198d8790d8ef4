"""How far the people are on a study's items. A comparison pair counts once (each person sees one order; the
other order's label is implied), so "units" are groups on a comparison dataset and examples otherwise."""
from __future__ import annotations

import math

from django.contrib.auth import get_user_model

from studio.models import Dataset, Membership, Study
from studio.services.tallies import study_counts


def people(study: Study) -> list:
    """Who labels for the study: its annotators, or everyone annotating the dataset."""
    chosen = list(study.annotators.order_by("username"))
    if chosen:
        return chosen
    User = get_user_model()
    return list(User.objects.filter(memberships__dataset=study.dataset,
                                    memberships__role=Membership.Role.ANNOTATOR).distinct().order_by("username"))


def labeling_progress(study: Study) -> dict:
    """Per person: units labeled of their share; overall: units with k people, and whether all are done. Read
    from the study's tallies, kept on write (a study under way holds up to millions of labels; state.json asks
    every 2 s)."""
    k = study.annotators_per_item
    by_pair = study.dataset.consistency == Dataset.Consistency.COMPARISON
    n_units, mine, complete = 0, {}, 0
    if study.human_condition == Study.HumanCondition.PEOPLE:
        counted = study_counts.progress(study)
        n_units, mine = counted["units"], counted["people"]
        complete = sum(n for who, n in counted["histogram"].items() if who >= k)
    everyone = people(study)
    listed = {u.pk for u in everyone}
    User = get_user_model()
    extra = list(User.objects.filter(pk__in=set(mine) - listed).order_by("username"))  # labeled, not (now) listed
    share = math.ceil(n_units * k / max(len(everyone), k, 1)) if n_units else 0
    rows = [{"user_id": u.pk, "username": u.get_username(), "labeled": mine.get(u.pk, 0),
             "assigned": share} for u in everyone + extra]
    return {"units": n_units, "unit_word": "pairs" if by_pair else "items", "k": k, "complete_units": complete,
            "all_done": bool(n_units) and complete == n_units, "labels": sum(mine.values()), "people": rows}
