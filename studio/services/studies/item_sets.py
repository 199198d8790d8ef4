"""How a study's item sets read on its page: whole pairs (or groups) and examples, for each set."""
from __future__ import annotations

from studio.models import Example, Study
from studio.services.runs.subsets import _count_words, _groups


def describe_items(study: Study) -> dict:
    """'128 whole pairs = 256 examples' for each of the study's item sets."""
    out = {}
    for key in ("icm_pool_ids", "people_train_ids", "test_ids"):
        ids = set(getattr(study, key))
        rows = list(Example.objects.filter(pk__in=ids).order_by("position", "pk").values_list("pk", "group"))
        groups = list(_groups(rows).values())
        out[key] = f"{_count_words(groups)} = {len(ids)} examples" if ids else "none"
    return out
