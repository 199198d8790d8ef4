"""The designs a template offers on a dataset, each with its estimate on this deployment's workers: the paper's
and a reduced one (templates.py). The estimate is the ICM run's (the run form's cost model over the design's
chosen pool, at the throughput measured on earlier batches of the model) plus the evaluation's (steps.py); the
design offered by default is the paper's when that fits under STUDIO_CONFIRM_RUN_SECONDS, else the reduced one.
Writes nothing."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from studio.models import ElicitationRun
from studio.services.runs import RunRefused, preview_run
from studio.services.runs.estimates import about

from .errors import StudyRefused
from .steps import evaluation_cost, study_trained_conditions
from .templates import DESIGNS, PAPER, REDUCED, TEMPLATES


@dataclass(frozen=True)
class Design:
    key: str                    # "paper" or "reduced"
    label: str                  # "the paper's design"
    values: dict                # the sizes, k, repeats and settings it gives blank fields
    seconds: float | None       # ICM + evaluation, estimated; None when it cannot be planned here
    text: str                   # the estimate in words, or why there is none
    fits: bool                  # under STUDIO_CONFIRM_RUN_SECONDS

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "values": self.values, "seconds": self.seconds,
                "estimate": self.text, "fits": self.fits}


def design_estimate(dataset, plan: dict, *, user=None) -> tuple[float, str]:
    """Seconds and words for a planned study (plan_study's values): its ICM run and its evaluation."""
    run = preview_run(dataset, user=None, split=plan["train_split"], subset=ElicitationRun.Subset.IDS,
                      example_ids=plan["icm_pool_ids"], model=plan["model"], config=plan["settings"] or None)
    pool = set(plan["icm_pool_ids"])
    demo_pool = ([pk for pk in plan["people_train_ids"] if pk in pool] if plan["human_condition"] == "people"
                 else list(plan["icm_pool_ids"]))
    ev = evaluation_cost(test_ids=plan["test_ids"], demo_pool=demo_pool, repeats=plan["repeats"],
                         model=plan["model"], trained_conditions=study_trained_conditions(),
                         label_words=(dataset.true_word, dataset.false_word))
    seconds = run.estimate.seconds + ev.seconds
    return seconds, (f"{about(seconds)} in all: the ICM run {about(run.estimate.seconds)} "
                     f"({run.estimate.tokens:,} tokens at {run.estimate.tokens_per_second:,.0f} tokens/s, "
                     f"{run.estimate.throughput_source}), the evaluation {about(ev.seconds)}")


def offered_designs_with(plan_study, dataset, template: str) -> list[Design]:
    """The template's designs on `dataset`, each with its estimate; `plan_study` is creating's (passed in, so
    this module does not import the one that asks it for the recommended design)."""
    spec = TEMPLATES[template]
    limit = float(settings.STUDIO_CONFIRM_RUN_SECONDS)
    out = []
    for key in (PAPER, REDUCED):
        values = spec.defaults(key)
        try:
            plan = plan_study(dataset, template, {"name": "design estimate", "design": key, "annotators": []},
                              check_name=False, check_people=False)
            seconds, text = design_estimate(dataset, plan)
        except (StudyRefused, RunRefused) as refusal:
            seconds, text = None, f"cannot be planned on {dataset.name}: {refusal}"
        out.append(Design(key, DESIGNS[key], values, seconds, text, seconds is not None and seconds <= limit))
    return out


def recommended(designs: list[Design]) -> str:
    """The paper's design when it fits under the confirmation limit, else the reduced one."""
    paper = next(d for d in designs if d.key == PAPER)
    return PAPER if paper.fits else REDUCED
