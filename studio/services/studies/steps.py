"""A study's steps, their live state, what each waits for, and the next thing to do; and starting each step.

people label the study's items → ICM labels the train pool → the evaluation scores every condition on the test
items → (custom studies: adjudicate the disagreements, optional; adjudicating.py) → results. ICM does not need
the people's labels (it may run while they label); the evaluation needs both; the results need the evaluation. A
step that is not ready says what it waits for, and starting it is refused (StudyRefused) with that sentence."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studio.models import AnnotationClaim, Dataset, ElicitationRun, Evaluation, Example, RunBatch, Study
from studio.services.evaluation import start_evaluation
from studio.services.runs import RunRefused, preview_run, start_run
from studio.services.engine_port import ConfigRefused, parse_config
from studio.services.runs import RunNeedsConfirmation
from studio.services.runs.progress import stage as run_stage
from studio.services.tallies import study_counts
from studio.services.runs.estimates import about, duration_words, evaluation_throughput, tokens_words

from .item_counts import sizes as item_sizes
from .adjudicating import TITLE as ADJUDICATION_TITLE, adjudication_step, link_adjudication
from .errors import StudyRefused
from .progress import labeling_progress
from .step_base import (CANCELED, DONE, FAILED, NOT_NEEDED, READY, RUNNING, STARTABLE, WAITING, Step, _locked,
                        _refuse_unless, _require_admin)
from .queue_scope import InStudy
from .templates import CUSTOM

CONDITIONS = ["zero-shot", "zero-shot-chat", "icm", "gold"]  # plus the human condition (people or crowd)
MODEL_CONTEXT_TOKENS = 8192  # the rough estimate's cap on a many-shot prompt (SmolLM2's context)


def _job_state(job) -> str:
    if job is None:
        return READY
    if job.state in (job.State.PENDING, job.State.RUNNING):
        return RUNNING
    if job.state == job.State.COMPLETED:
        return DONE
    return CANCELED if job.state == job.State.CANCELED else FAILED


def people_step(study: Study) -> Step:
    if study.human_condition == Study.HumanCondition.CROWD:
        return Step("people", "People label", NOT_NEEDED, "nothing",
                    "Not needed: the dataset's imported crowd votes are the human condition.")
    p = labeling_progress(study)
    done = p["all_done"] or (study.labeling_closed_at is not None and not study.labeling_open)
    words = f"{p['complete_units']} of {p['units']} {p['unit_word']} have {p['k']} people's labels"
    if done:
        state, summary = DONE, words + ("" if p["all_done"] else " (labeling closed)")
    elif study.labeling_open:
        state, summary = RUNNING, f"Labeling is open: {words}."
    else:
        state, summary = READY, f"Labeling is not open yet ({p['units']} {p['unit_word']}, {p['k']} people each)."
    actions = ["close_labeling"] if study.labeling_open else ([] if p["all_done"] else ["open_labeling"])
    return Step("people", "People label", state, "nothing", summary, actions=actions, detail=p)


def icm_step(study: Study) -> Step:
    run = study.run
    state = _job_state(run)
    detail = {"run_id": run.pk if run else None, "examples": item_sizes(study)["icm_pool_ids"]}
    if run is None:
        summary = f"Not started: ICM will label the train pool ({detail['examples']} examples)."
    else:
        batches = list(run.batches.values_list("state", flat=True))
        detail.update(run_state=run.state, batches=len(batches), labeled=run.labeled_count,
                      batches_done=sum(1 for s in batches if s == ElicitationRun.State.COMPLETED))
        summary = (f"Run #{run.pk} {run.state}: {detail['batches_done']} of {len(batches)} batch"
                   f"{'es' if len(batches) != 1 else ''} done, {run.labeled_count} of {run.example_count} labeled.")
        if run.error:
            summary += f" {run.error}"
        if state == RUNNING:  # what the model is doing now (updated every few seconds while it scores)
            texts = [f"batch {b.index + 1}: " + ((run_stage(b) or {}).get("text") or b.get_phase_display().lower())
                     for b in run.batches.filter(state=RunBatch.State.RUNNING)]
            if texts:
                summary += " Now " + "; ".join(texts) + "."
                detail["stages"] = texts
    if state == CANCELED:
        summary += " Re-run it, with other settings if you like."
    actions = ["start_icm"] if state in STARTABLE else []
    return Step("icm", "ICM labels the train pool", state, "nothing (it may run while people label)", summary,
                actions=actions, detail=detail)


def evaluation_step(study: Study, people: Step, icm: Step) -> Step:
    ev = study.evaluation
    state = _job_state(ev)
    waits = []
    if people.state not in (DONE, NOT_NEEDED):
        waits.append("the people's labels (finish or close labeling)")
    if icm.state != DONE:
        waits.append("the ICM run")
    blocked = ("Waits for " + " and ".join(waits) + ".") if waits and state in STARTABLE else None
    if blocked:
        state = WAITING
    detail = {"evaluation_id": ev.pk if ev else None, "repeats": study.repeats,
              "test_items": item_sizes(study)["test_ids"]}
    if ev is None:
        summary = blocked or f"Ready: {study.repeats} repeats over {detail['test_items']} test items."
    else:
        detail["evaluation_state"] = ev.state
        summary = f"Evaluation #{ev.pk} {ev.state}." + (f" {ev.error}" if ev.error else "")
        progress = (ev.results or {}).get("progress") if state == RUNNING else None
        if progress:
            summary += f" {progress.get('done', 0)} of {progress.get('total', '?')} condition passes done (now: " \
                       f"{progress.get('now', '')})."
            detail["progress"] = progress
    actions = ["start_evaluation"] if state in STARTABLE else []
    return Step("evaluation", "The evaluation", state, "the people's labels and the ICM run", summary,
                blocked=blocked, actions=actions, detail=detail)


def results_step(study: Study, evaluation: Step) -> Step:
    if evaluation.state == DONE:
        return Step("results", "Results", DONE, "the evaluation", "The figure and its numbers are below.")
    return Step("results", "Results", WAITING, "the evaluation", "Waits for the evaluation.",
                blocked="Waits for the evaluation to complete.")


def study_steps(study: Study) -> list[Step]:
    study = (Study.objects.select_related("dataset", "run", "evaluation", "adjudication").defer(*Study.ID_LISTS)
             .get(pk=study.pk))  # the steps count the item sets (item_counts.sizes), never list them
    people = people_step(study)
    icm = icm_step(study)
    evaluation = evaluation_step(study, people, icm)
    optional = [adjudication_step(study, people, icm)] if study.template == CUSTOM else []  # custom studies only
    return [people, icm, evaluation, *optional, results_step(study, evaluation)]


def open_study_adjudication(study: Study, *, user, budget=None):
    """Custom studies: open the blind adjudication of where the ICM run and the people's majority disagree
    (adjudicating.py), once both are in. Refused (StudyRefused) for other templates and before its time."""
    _require_admin(user)
    step = next((s for s in study_steps(study) if s.key == "adjudication"), None)
    if step is None:
        raise StudyRefused(f"{ADJUDICATION_TITLE} is a step of custom studies; study {study.name!r} uses the "
                           f"{study.template!r} template", kind="conflict")
    _refuse_unless(step, "open_adjudication")
    return link_adjudication(study, user=user, budget=budget)


NEXT_WORDS = {
    "open_labeling": "Open labeling for the people.",
    "start_icm": "Start the ICM run over the train pool.",
    "start_evaluation": "Start the evaluation.",
}


def next_thing(steps: list[Step]) -> str:
    """One sentence: what to do (or wait for) now."""
    by_key = {s.key: s for s in steps}
    if by_key["results"].state == DONE:
        return "Done: read the results."
    for step in steps:
        for action in step.actions:
            if action in NEXT_WORDS:
                return NEXT_WORDS[action]
    running = [s for s in steps if s.state == RUNNING]
    if running:
        return "Wait: " + "; ".join(s.summary for s in running)
    return next((s.blocked for s in steps if s.blocked), "")


def snapshot(study: Study) -> dict:
    """What the study page polls: every step and the next thing to do."""
    steps = study_steps(study)
    return {"id": study.pk, "name": study.name, "next": next_thing(steps), "steps": [s.to_dict() for s in steps]}


# ---- starting the steps --------------------------------------------------------------------------------------

def _copy(source: Study, target: Study, names: list[str]) -> None:
    """Keep the caller's study object in step with the row just written (a later save must not undo it)."""
    for name in names:
        setattr(target, name, getattr(source, name))


def open_labeling(study: Study, *, user) -> Study:
    """The annotation queue serves the study's items (k people each, its annotators) from now on."""
    _require_admin(user)
    _refuse_unless(people_step(study), "open_labeling")
    with transaction.atomic():
        locked = _locked(study)
        other = Study.objects.filter(dataset=locked.dataset, labeling_open=True).exclude(pk=locked.pk).first()
        if other:
            raise StudyRefused(f"study {other.name!r} is labeling on {locked.dataset.name}; close its labeling "
                               "first (the queue serves one study at a time)", kind="conflict")
        if not locked.items.exists() and locked.people_item_ids:  # made before its items were rows
            study_counts.fill(locked)
        locked.labeling_open, locked.labeling_opened_at, locked.labeling_closed_at = True, timezone.now(), None
        locked.save(update_fields=["labeling_open", "labeling_opened_at", "labeling_closed_at"])
        _copy(locked, study, ["labeling_open", "labeling_opened_at", "labeling_closed_at"])
        Dataset.objects.filter(pk=locked.dataset_id).update(annotation_overlap=locked.annotators_per_item)
        study.dataset.annotation_overlap = locked.dataset.annotation_overlap = locked.annotators_per_item
        if locked.annotators.exists():  # holds taken before it opened by people outside the study end now
            AnnotationClaim.objects.filter(InStudy("example_id", locked)).exclude(
                annotator__in=locked.annotators.all()).delete()
    return locked


def close_labeling(study: Study, *, user) -> Study:
    """The queue goes back to the dataset's annotation split; the people's step counts as done with what they
    labeled."""
    _require_admin(user)
    with transaction.atomic():
        locked = _locked(study)
        if not locked.labeling_open:
            raise StudyRefused("labeling is not open for this study", kind="conflict")
        locked.labeling_open, locked.labeling_closed_at = False, timezone.now()
        locked.save(update_fields=["labeling_open", "labeling_closed_at"])
        _copy(locked, study, ["labeling_open", "labeling_closed_at"])
    return locked


def _run_values(study: Study) -> dict:
    return {"split": study.train_split, "subset": ElicitationRun.Subset.IDS, "example_ids": study.icm_pool_ids,
            "model": study.model, "config": study.settings or None}


def icm_estimate(study: Study, *, user) -> str:
    """The ICM run's estimated duration in words (as the run form shows it), or why it cannot start."""
    return icm_cost(study, user=user)[0]


def icm_cost(study: Study, *, user) -> tuple[str, bool]:
    """The ICM run's estimate in words and whether starting it needs confirmation."""
    try:
        estimate = preview_run(study.dataset, user=user, **_run_values(study)).estimate
        return estimate.text, estimate.needs_confirmation
    except RunRefused as refusal:
        return f"cannot start: {refusal}", False


def icm_seconds(study: Study, *, user) -> tuple[str, float | None]:
    """The ICM run's estimate in words and seconds (None when it cannot start, with why in the words)."""
    try:
        estimate = preview_run(study.dataset, user=user, **_run_values(study)).estimate
        return estimate.text, estimate.seconds
    except RunRefused as refusal:
        return f"cannot start: {refusal}", None


def _new_settings(study: Study, settings_over: dict) -> dict:
    """The study's ICM settings with `settings_over` on top, checked (StudyRefused naming settings)."""
    if not isinstance(settings_over, dict):
        raise StudyRefused("settings: expected an object of the ICM run's hyperparameters", "settings")
    merged = {**(study.settings or {}), **settings_over}
    try:
        parse_config(merged)
    except ConfigRefused as refusal:
        raise StudyRefused(f"settings: {refusal.message}", "settings") from None
    return merged


def start_icm(study: Study, *, user, confirmed: bool = False, settings: dict | None = None) -> ElicitationRun:
    """Start ICM over the study's train pool (start_run with exactly those examples) and link the run. A run
    estimated above STUDIO_CONFIRM_RUN_SECONDS needs `confirmed` (StudyNeedsConfirmation otherwise, nothing
    started), on every path: the page's checkbox, the API's confirm=true, the admin's action. `settings` (a
    re-run after a canceled or failed run, or the first run) go over the study's ICM settings and are kept."""
    _require_admin(user)
    _refuse_unless(icm_step(study), "start_icm")
    new = _new_settings(study, settings) if settings else None
    with transaction.atomic():
        locked = _locked(study)
        if locked.run_id and _job_state(locked.run) in (RUNNING, DONE):
            raise StudyRefused(f"the study's run #{locked.run_id} is already {locked.run.state}", kind="conflict")
        if new is not None:
            locked.settings = new
        try:
            run = start_run(locked.dataset, user=user, confirmed=confirmed, **_run_values(locked))
        except RunNeedsConfirmation as needs:
            raise StudyNeedsConfirmation("The study's ICM run", needs.preview.estimate.text,
                                         needs.preview.estimate.to_dict()) from None
        locked.run = run
        locked.save(update_fields=["run", "settings"])
        study.run, study.settings = run, locked.settings
    return run


def evaluation_options(study: Study) -> dict:
    """The evaluation's options (docs: EVAL_CONTRACT): the study's test items, its runs, repeats, and the
    demonstrations drawn from items every condition has a label for (paired: the people's train items lie in
    the ICM pool; with crowd votes, the pool itself)."""
    pool = set(study.icm_pool_ids)
    if study.human_condition == Study.HumanCondition.PEOPLE:
        demo_pool = [pk for pk in study.people_train_ids if pk in pool]
    else:
        demo_pool = list(study.icm_pool_ids)
    options = {"train_split": study.train_split, "test_split": study.test_split, "test_ids": list(study.test_ids),
               "demo_pool_ids": demo_pool, "runs": [study.run_id] if study.run_id else [],
               "repeats": study.repeats, "model": study.model,
               "conditions": CONDITIONS[:2] + [study.human_condition] + CONDITIONS[2:]}
    options["measures"] = ["in-context", "trained"]  # issue 22: the trained measure beside the prompted one
    return options


@dataclass(frozen=True)
class EvaluationCost:
    seconds: float
    tokens: float
    prompts: int
    tokens_per_second: float
    throughput_source: str
    text: str

    @property
    def needs_confirmation(self) -> bool:
        return self.seconds > float(settings.STUDIO_CONFIRM_RUN_SECONDS)

    def to_dict(self) -> dict:
        return {"seconds": round(self.seconds, 1), "tokens": int(self.tokens), "prompts": self.prompts,
                "tokens_per_second": round(self.tokens_per_second, 1), "throughput_source": self.throughput_source,
                "limit_seconds": float(settings.STUDIO_CONFIRM_RUN_SECONDS),
                "needs_confirmation": self.needs_confirmation, "text": self.text}


# One probe fit (standardize, L2 logistic regression, C by 5-fold CV over its grid) on the bundled model's
# 576-wide features of a study's train items: ~0.2 s on an idle core, ~0.6 s under load; the larger side, rounded.
PROBE_FIT_SECONDS = 0.5


def last_feature_fingerprint(model: str) -> str | None:
    """The model fingerprint this model's latest trained evaluation cached its features under (None: never)."""
    from studio.models import Evaluation

    for results in (Evaluation.objects.filter(state=Evaluation.State.COMPLETED, config__model=model,
                                              results__trained__isnull=False)
                    .order_by("-finished_at", "-pk").values_list("results", flat=True)[:5]):
        fp = (((results or {}).get("trained") or {}).get("features") or {}).get("model_fingerprint")
        if fp:
            return fp
    return None


def evaluation_cost(*, test_ids, demo_pool, repeats: int, model: str, trained_conditions: int = 0,
                    label_words=None) -> EvaluationCost:
    """A rough duration: prompts = test items × (2 zero-shot conditions + 3 many-shot × repeats), each many-shot
    prompt as long as the demonstrations the model's context holds; at the throughput measured on this model's
    earlier batches (the default when there are none). With `trained_conditions` (the trained measure): plus one
    forward pass per train-pool and test prompt whose features are not cached yet for this model (as of its
    last trained evaluation's fingerprint; all of them when there is none), and trained_conditions × repeats
    probe fits at PROBE_FIT_SECONDS each."""
    from studio.services.engine_port.feature_cache import uncached_prompts

    n_test = len(test_ids)
    prompts = dict(Example.objects.filter(pk__in=list(demo_pool) + list(test_ids)).values_list("pk", "prompt"))
    chars = [len(p) for p in prompts.values()]
    per = (sum(chars) / len(chars) / 4) if chars else 0
    many_shot = min(per * (len(demo_pool) + 1), MODEL_CONTEXT_TOKENS)
    prompts_many = n_test * 3 * repeats
    tokens = n_test * 2 * per + prompts_many * many_shot
    throughput = evaluation_throughput(model=model, device="auto")
    rate = max(throughput.tokens_per_second, 1e-9)
    count = n_test * 2 + prompts_many
    trained = ""
    fit_seconds = 0.0
    if trained_conditions:
        words = tuple(label_words) if label_words else (" True", " False")
        todo = uncached_prompts(last_feature_fingerprint(model), list(prompts.values()), words)
        feature_tokens = sum(len(r) for r in todo) / 4
        fits = trained_conditions * repeats
        fit_seconds = fits * PROBE_FIT_SECONDS
        tokens += feature_tokens
        count += len(todo)
        trained = (f"; trained measure: features of {len(todo):,} of {len(prompts):,} prompts not cached yet "
                   f"({tokens_words(feature_tokens)} tokens), {fits} probe fits in {duration_words(fit_seconds)}")
    seconds = tokens / rate + fit_seconds
    text = (f"{about(seconds)} (rough: {count:,} prompts, {tokens_words(tokens)} tokens at "
            f"{rate:,.0f} tokens/s, {throughput.source()}{trained})")
    return EvaluationCost(seconds, tokens, count, rate, throughput.source(), text)


def study_evaluation_cost(study: Study) -> EvaluationCost:
    options = evaluation_options(study)
    return evaluation_cost(test_ids=study.test_ids, demo_pool=options["demo_pool_ids"], repeats=study.repeats,
                           model=study.model, trained_conditions=_trained_count(options),
                           label_words=(study.dataset.true_word, study.dataset.false_word))


def study_trained_conditions() -> int:
    """The trained conditions of a study's evaluation (evaluation_options: the human condition, ICM, gold)."""
    return _trained_count({"measures": ["trained"], "conditions": CONDITIONS[:2] + ["people"] + CONDITIONS[2:]})


def _trained_count(options: dict) -> int:
    """Trained conditions an evaluation with these options has: random and each label source (not zero-shot)."""
    if "trained" not in (options.get("measures") or []):
        return 0
    return sum(1 for c in options["conditions"] if not c.startswith("zero-shot"))


def evaluation_estimate(study: Study) -> str:
    """The evaluation's rough duration in words (see evaluation_cost)."""
    return study_evaluation_cost(study).text


class StudyNeedsConfirmation(StudyRefused):
    """A step's estimated duration is above settings.STUDIO_CONFIRM_RUN_SECONDS and the person starting it has not
    confirmed it: nothing was started. `.extra["estimate"]` holds the estimate (the API's 409 body carries it)."""

    def __init__(self, what: str, text: str, estimate: dict):
        limit = duration_words(float(settings.STUDIO_CONFIRM_RUN_SECONDS))
        super().__init__(f"{what} would take {text}. That is more than {limit} (STUDIO_CONFIRM_RUN_SECONDS): "
                         "confirm to start it.", "confirm", kind="conflict")
        self.extra = {"estimate": estimate}


def start_study_evaluation(study: Study, *, user, enqueue: bool = True, confirmed: bool = False) -> Evaluation:
    """Start the evaluation once the people's labels and the ICM run are done, and link it. One estimated above
    STUDIO_CONFIRM_RUN_SECONDS needs `confirmed` (StudyNeedsConfirmation otherwise, nothing started)."""
    _require_admin(user)
    steps = study_steps(study)
    _refuse_unless(steps[2], "start_evaluation")
    if study.human_condition == Study.HumanCondition.PEOPLE and not steps[0].detail.get("labels"):
        raise StudyRefused("The evaluation cannot be started now: the people have labeled none of the study's items.",
                           kind="conflict")
    if not confirmed:
        cost = study_evaluation_cost(study)
        if cost.needs_confirmation:
            raise StudyNeedsConfirmation("The study's evaluation", cost.text, cost.to_dict())
    with transaction.atomic():
        locked = _locked(study)
        if locked.evaluation_id and _job_state(locked.evaluation) in (RUNNING, DONE):
            raise StudyRefused(f"the study's evaluation #{locked.evaluation_id} is already {locked.evaluation.state}",
                               kind="conflict")
        ev = start_evaluation(locked.dataset, user=user, options=evaluation_options(locked), enqueue=enqueue)
        locked.evaluation = ev
        locked.save(update_fields=["evaluation"])
        study.evaluation = ev
    return ev
