"""The paper's comparison (Wen et al. 2025, Fig. 2-3), paired: test accuracy of the model prompted zero-shot
and many-shot with train demonstrations labeled by each source — random, the people's majority, the crowd votes'
majority, each eligible ICM run, gold — plus other models zero-shot.

Per repeat, one seeded draw of demonstration ids is shared by every many-shot condition (only the labels differ);
the ids come from the train examples every label source labeled. As many demonstrations as fit the model's
context are used (the same number for all), unless max_demos caps them. Each condition's mean ± sd over repeats,
every pair compared on the same test items (paired bootstrap, McNemar's exact p), and a verdict sentence are
recorded in Evaluation.results. Scores come from the engine's baseline scorer, the one ICM itself uses.

`start_evaluation` validates and enqueues (Celery, `gpu` queue); `execute_evaluation` does the work in the worker.
Gold never reaches the engine except as the gold condition's demonstrations.

`measures: ["in-context", "trained"]` adds the trained measure (trained.py): per label source a probe on the
model's cached features (or a LoRA finetune) trained on its labels of the same train items, beside the prompted
conditions; `trained_models` exports what was trained, `adapter_archive` a LoRA adapter as a zip.
"""
from .adapters import adapter_archive
from .errors import EvaluationRefused
from .executing import execute_evaluation, mark_failed
from .options import CALIBRATIONS, DEFAULTS, KINDS, LIMITS, validate_options
from .planning import plan
from .prompts import ManyShotPrompts, fit_to_context
from .starting import start_evaluation
from .trained_results import trained_models

__all__ = ["CALIBRATIONS", "DEFAULTS", "EvaluationRefused", "KINDS", "LIMITS", "ManyShotPrompts", "adapter_archive",
           "execute_evaluation",
           "fit_to_context", "mark_failed", "plan", "start_evaluation", "trained_models", "validate_options"]
