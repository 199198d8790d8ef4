"""The paper's comparison (Wen et al. 2025, Fig. 2-3): test-split accuracy of the model prompted many-shot
with train-split demonstrations labeled by each source — zero-shot (none), random labels, gold labels, the
people's majority, and each completed ICM run — each test example labeled by the sign of its log-odds.

`start_evaluation` validates and enqueues (Celery, `gpu` queue); `execute_evaluation` does the work in the
worker. The demonstrations are chosen the same way for every condition so they differ only in labels as far
as coverage allows: one seeded permutation of the train split, and each condition takes the first
`max_demos` examples it has a label for, in that order; then, if the prompts would not fit the model's
context, the same number is dropped from every condition until the longest prompt fits. Scores come from
the engine's own baseline scorer (elicitation.baselines, the exact scorer ICM uses, with its prompt format),
so every condition is measured the same way. Everything chosen is recorded in Evaluation.config / results.
Gold never reaches the engine except as the gold-labels condition's demonstrations.
"""
from .errors import EvaluationRefused
from .executing import execute_evaluation, mark_failed
from .planning import plan
from .prompts import ManyShotPrompts, fit_to_context
from .starting import CALIBRATIONS, DEFAULTS, LIMITS, start_evaluation, validate_options

__all__ = ["CALIBRATIONS", "DEFAULTS", "EvaluationRefused", "LIMITS", "ManyShotPrompts", "execute_evaluation",
           "fit_to_context", "mark_failed", "plan", "start_evaluation", "validate_options"]
