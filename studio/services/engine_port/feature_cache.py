"""What the studio's feature cache already holds, for estimates (the web process; no model, no torch): how many
of an evaluation's prompts have a feature vector stored for a model fingerprint (the trained measure computes
only the others). The store's layout is elicitation.training's FeatureStore, read, not written, here."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from elicitation.training.features import DEFAULT_LABEL_WORDS, FeatureStore, zero_shot_prompt


def uncached_prompts(fingerprint: str | None, prompts: Sequence[str],
                     label_words: Sequence[str] = DEFAULT_LABEL_WORDS) -> list[str]:
    """The prompts whose zero-shot feature vector is not in the store for `fingerprint` (all, without one), each
    rendered as the feature rule reads it (the zero-shot query)."""
    rendered = [zero_shot_prompt(p, label_words) for p in prompts]
    if not fingerprint:
        return rendered
    store = FeatureStore(Path(settings.STUDIO_FEATURES_DIR))
    return [r for r in rendered if not store.path(fingerprint, r).is_file()]
