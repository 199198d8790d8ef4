"""How many ids each of a study's item sets holds, counted once and kept in Study.facts: the sets never change
after creation, and the pages that show the counts (the study page, state.json, the admin) defer the lists
themselves (Study.ID_LISTS, up to 100,000 ids each). Also the one writer of Study.facts (stored_facts.py)."""
from __future__ import annotations

from django.db import transaction

from studio.models import Study


def store(study: Study, key: str, value):
    """Set one key of the study's facts (its row and the object in hand), the others as the row holds them now:
    two views storing different keys at once keep both."""
    with transaction.atomic():
        facts = dict(Study.objects.select_for_update().filter(pk=study.pk).values_list("facts", flat=True).get() or {})
        facts[key] = value
        Study.objects.filter(pk=study.pk).update(facts=facts)
    study.facts = facts
    return value


def sizes(study: Study) -> dict:
    """{"icm_pool_ids": n, "people_train_ids": n, "test_ids": n}, counted once (loading each list that one time)."""
    stored = (study.facts or {}).get("sizes")
    if stored is None:
        stored = store(study, "sizes", {key: len(getattr(study, key)) for key in Study.ID_LISTS})
    return stored
