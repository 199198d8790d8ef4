"""Studies (issue 15): the paper's model-vs-people protocol over one dataset, from its templates to its figure.

creating: create_study / plan_study (StudyRefused naming the field, nothing half-written); templates: one per
preset and custom; steps: people label → ICM over the train pool → the evaluation → results, each step's live
state, what it waits for, the next thing to do, and starting each step; queue_scope: what the annotation queue
serves while a study's labeling is open; results / figure: the figure's numbers (CSV, JSON) and its SVG."""
from .creating import create_study, errors_of, offered_designs, plan_study
from .item_sets import describe_items
from .designs import recommended
from .errors import StudyRefused
from . import item_counts, stored_facts
from .figure import render_svg
from .results import results_csv, study_results
from .steps import (StudyNeedsConfirmation, close_labeling, evaluation_estimate, evaluation_options, icm_estimate,
                    open_labeling, open_study_adjudication, snapshot, start_icm, start_study_evaluation,
                    study_steps)
from .templates import DESIGNS, TEMPLATES, templates_for

__all__ = ["DESIGNS", "StudyNeedsConfirmation", "StudyRefused", "TEMPLATES", "errors_of", "offered_designs",
           "recommended", "close_labeling", "create_study", "describe_items", "evaluation_estimate",
           "evaluation_options", "icm_estimate", "open_labeling", "open_study_adjudication", "plan_study", "render_svg",
           "results_csv", "snapshot", "start_icm", "start_study_evaluation", "item_counts", "stored_facts", "study_results",
           "study_steps", "templates_for"]
