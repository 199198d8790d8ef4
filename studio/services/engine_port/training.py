"""The engine's trainers as the evaluation uses them (elicitation.training, no Django): the model's features of
a prompt (one cached vector per model fingerprint and prompt, in a file store under STUDIO_FEATURES_DIR), a probe
fitted on one label source's labels, the antisymmetric reward-model score of a comparison pair, and the LoRA
finetune. Imported by workers only: it loads scikit-learn (and torch for the features and the finetune)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from elicitation.training.features import FEATURE_RULE, FeatureStore, TrainingStopped, compute_features
from elicitation.training.pairs import antisymmetric
from elicitation.training.probe import Probe, fit_probe
from elicitation.training.train import train_and_predict

__all__ = ["FEATURE_RULE", "FeatureStore", "Probe", "TrainingStopped", "antisymmetric", "compute_features",
           "feature_store", "fit_probe", "train_and_predict"]


def feature_store() -> FeatureStore:
    """The studio's feature cache (settings.STUDIO_FEATURES_DIR): every evaluation of a model reuses it."""
    root = Path(settings.STUDIO_FEATURES_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return FeatureStore(root)
