"""The custom study's optional step "adjudicate the disagreements": once the ICM run and the people's labels are
in, an admin opens a blind adjudication (studio.services.adjudication) of the study's ICM run against the
people's majority (the crowd's, for a crowd study) on the train split — the items both label are the people's
train items inside ICM's pool — with a budget. The step then links it and shows its live estimate: which of the
two is right where they disagree, from the expert's answers, without gold."""
from __future__ import annotations

from django.db import transaction

from studio.models import Study
from studio.services import adjudication

from .errors import StudyRefused
from .step_base import DONE, NOT_NEEDED, READY, RUNNING, WAITING, Step, _locked

DEFAULT_BUDGET = adjudication.DEFAULTS["budget"]
TITLE = "Adjudicate the disagreements"
DEPENDS = "the ICM run and the people's labels"


def human_source(study: Study) -> str:
    return "crowd" if study.human_condition == Study.HumanCondition.CROWD else "people"


def adjudication_step(study: Study, people: Step, icm: Step) -> Step:
    adj = study.adjudication
    if adj is None:
        waits = []
        if people.state not in (DONE, NOT_NEEDED):
            waits.append("the people's labels (finish or close labeling)")
        if icm.state != DONE:
            waits.append("the ICM run")
        if waits:
            blocked = "Waits for " + " and ".join(waits) + "."
            return Step("adjudication", TITLE, WAITING, DEPENDS, blocked, blocked=blocked)
        who = "people's" if human_source(study) == "people" else "crowd votes'"
        return Step("adjudication", TITLE, READY, DEPENDS,
                    f"Optional: an expert answers a blind sample of the train items where ICM run #{study.run_id} and "
                    f"the {who} majority disagree (some where they agree), and the studio estimates which is more "
                    "accurate, with an exact interval, without gold.",
                    actions=["open_adjudication"], detail={"default_budget": DEFAULT_BUDGET})
    result = adjudication.result(adj)
    done = result["adjudicated"] >= adj.budget
    detail = {"adjudication_id": adj.pk, "split": adj.split, "dataset_slug": study.dataset.slug,
              "adjudicated": result["adjudicated"], "budget": adj.budget, "n_items": adj.n_items,
              "n_disagree": adj.n_disagree, "difference": result["difference"], "verdict": result["verdict"],
              "more_total": result["plan"]["more_total"], "gold": result["gold"]}
    summary = f"Adjudication {adj.pk}: {result['adjudicated']} of {adj.budget} answered. {result['verdict']}"
    return Step("adjudication", TITLE, DONE if done else RUNNING, DEPENDS, summary, detail=detail)


def link_adjudication(study: Study, *, user, budget=None):
    """Open the study's adjudication (its ICM run against the people's majority on the train split) with `budget`
    items (default DEFAULT_BUDGET) and link it; the caller (steps.open_study_adjudication) has checked the step
    offers it. A bad budget is refused naming budget (by the adjudication service); a second one as a conflict."""
    with transaction.atomic():
        locked = _locked(study)
        if locked.adjudication_id:
            raise StudyRefused(f"the study's adjudication {locked.adjudication_id} is already open", kind="conflict")
        options = {"split": locked.train_split, "source_a": f"run:{locked.run_id}", "source_b": human_source(locked),
                   "budget": DEFAULT_BUDGET if budget in (None, "") else budget}
        adj = adjudication.open_adjudication(locked.dataset, options, user=user)  # refusals name the option
        locked.adjudication = adj
        locked.save(update_fields=["adjudication"])
        study.adjudication = adj
    return adj
