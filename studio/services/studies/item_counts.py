"""How many ids each of a study's item sets holds, counted once and kept in Study.facts: the sets never change
after creation, and the pages that show the counts (the study page, state.json, the admin) defer the lists
themselves (Study.ID_LISTS, up to 100,000 ids each). Also the one writer of Study.facts (stored_facts.py)."""
from __future__ import annotations

from studio.models import Study


def store(study: Study, facts: dict) -> dict:
    """Write `facts` as the study's facts (its row and the object in hand)."""
    Study.objects.filter(pk=study.pk).update(facts=facts)
    study.facts = facts
    return facts


def sizes(study: Study) -> dict:
    """{"icm_pool_ids": n, "people_train_ids": n, "test_ids": n}, counted once (loading each list that one time)."""
    facts = dict(study.facts or {})
    if "sizes" not in facts:
        facts["sizes"] = {key: len(getattr(study, key)) for key in Study.ID_LISTS}
        store(study, facts)
    return facts["sizes"]
