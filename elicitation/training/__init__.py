"""Training on the labels: judge a label source by the model it trains (issue 22). Django-free.

- features.py  the feature rule (final hidden state at the zero-shot prompt's last token) and its file store;
- probe.py     standardized features → L2 logistic regression, C picked by CV on the source's own labels;
- pairs.py     comparison datasets: the antisymmetric pair score (a reward model) and pairwise accuracy;
- finetune.py  LoRA (peft) on the label words' log-odds, saved as an adapter folder;
- train.py     train_and_predict(trainer, ...), the one call the studio makes per trained condition.

Gold labels never enter here except as the labels of a "gold" source: nothing in this package takes a gold
argument, and every hyperparameter is chosen from the labels it is given.
"""
from .features import (FEATURE_RULE, FeatureStore, TrainingStopped, compute_features, count_prompt_tokens,
                       zero_shot_prompt)
from .pairs import antisymmetric, comparison_pairs, pairwise_accuracy
from .probe import DEFAULT_CS, Probe, fit_probe
from .train import TRAINERS, TrainedPrediction, check_trainer_options, train_and_predict

__all__ = [
    "DEFAULT_CS", "FEATURE_RULE", "FeatureStore", "Probe", "TRAINERS", "TrainedPrediction", "TrainingStopped",
    "antisymmetric",
    "check_trainer_options", "comparison_pairs", "compute_features", "count_prompt_tokens", "fit_probe",
    "pairwise_accuracy", "train_and_predict", "zero_shot_prompt",
]
