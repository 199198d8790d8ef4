"""A study's results: each annotator's accuracy on the test items, the people's majority, and the evaluation's
conditions (zero-shot, zero-shot chat, many-shot with the people's / the crowd's, ICM's and gold labels), each
with its 95% interval and n; the verdict sentence; the same numbers as CSV and JSON.

People are scored per judgement: on a comparison dataset a pair is one judgement (a person sees one order; a
label on the other order counts as the negated judgement on the first), scored against gold once. Annotators'
intervals are Wilson's (studio.services.metrics); the conditions' are the evaluation's own (bootstrap over test
items, docs: EVAL_CONTRACT)."""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

from django.contrib.auth import get_user_model

from studio.models import Dataset, ElicitedLabel, Evaluation, Example, GoldLabel, HumanLabel, Study
from studio.services.export.writers import neutralize
from studio.services.metrics import accuracy_with_ci

from .errors import StudyRefused

CONDITION_ORDER = ("zero-shot", "zero-shot-chat", "people", "crowd", "icm", "gold")
KIND_NAMES = {"zero-shot": "Zero-shot", "zero-shot-chat": "Zero-shot chat", "people": "Many-shot, people's labels",
              "crowd": "Many-shot, crowd's labels", "icm": "Many-shot, ICM's labels", "gold": "Many-shot, gold labels"}
COLUMNS = ("group", "key", "name", "accuracy", "ci_low", "ci_high", "n", "unit", "correct", "demonstrations",
           "ties", "interval")


def _reference(study: Study, test_ids: list[int]) -> tuple[dict[int, tuple[object, bool]], dict[object, bool]]:
    """example -> (unit, flip) and unit -> gold. A unit is a pair (its first example in dataset order is the
    reference; the other order's label is flipped onto it) on a comparison dataset, else the example."""
    rows = list(Example.objects.filter(pk__in=test_ids).order_by("position", "pk").values_list("pk", "group"))
    gold = dict(GoldLabel.objects.filter(example_id__in=test_ids).values_list("example_id", "label"))
    by_pair = study.dataset.consistency == Dataset.Consistency.COMPARISON
    where: dict[int, tuple[object, bool]] = {}
    unit_gold: dict[object, bool] = {}
    first_of: dict[object, int] = {}
    for pk, group in rows:
        unit = group if by_pair and group else pk
        ref = first_of.setdefault(unit, pk)
        where[pk] = (unit, ref != pk)
        if ref == pk and pk in gold:
            unit_gold[unit] = gold[pk]
    return where, unit_gold


def people_scores(study: Study, test_ids: list[int]) -> tuple[list[dict], dict | None]:
    """Each annotator's accuracy on the test units (one dot each) and the people's majority (ties left out)."""
    where, unit_gold = _reference(study, test_ids)
    judgements: dict[int, dict[object, bool]] = defaultdict(dict)  # annotator -> unit -> label on the reference
    for annotator_id, example_id, label in (HumanLabel.objects.filter(
            source=HumanLabel.Source.ANNOTATOR, example_id__in=list(where)).order_by("example_id")
            .values_list("annotator_id", "example_id", "label")):
        unit, flip = where[example_id]
        judgements[annotator_id].setdefault(unit, label != flip)  # the first judgement on a pair counts once
    names = dict(get_user_model().objects.filter(pk__in=list(judgements)).values_list("pk", "username"))
    rows = []
    votes: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    for annotator_id in sorted(judgements, key=lambda a: names.get(a, "")):
        scored = {u: v for u, v in judgements[annotator_id].items() if u in unit_gold}
        for unit, value in scored.items():
            votes[unit][int(value)] += 1
        correct = sum(1 for u, v in scored.items() if v == unit_gold[u])
        rows.append({"group": "annotator", "key": f"annotator:{annotator_id}", "name": names.get(annotator_id, "?"),
                     **_acc(correct, len(scored)), "unit": _unit(study)})
    if not votes:
        return rows, None
    decided = {u: v[1] > v[0] for u, v in votes.items() if v[0] != v[1]}
    correct = sum(1 for u, v in decided.items() if v == unit_gold[u])
    majority = {"group": "people", "key": "people-majority", "name": "People's majority", **_acc(correct, len(decided)),
                "ties": len(votes) - len(decided), "unit": _unit(study)}
    return rows, majority


def _unit(study: Study) -> str:
    """What a person's n counts: pairs on a comparison dataset (one judgement per pair), else examples."""
    return "pairs" if study.dataset.consistency == Dataset.Consistency.COMPARISON else "examples"


def _condition_unit(study: Study) -> str:
    """What the model's n counts: test examples; on a comparison dataset each is one order of a pair."""
    return "examples (pair orders)" if study.dataset.consistency == Dataset.Consistency.COMPARISON else "examples"


def train_ties(study: Study) -> dict:
    """The people's train items: units with votes, of which tied (no majority: no people's demonstration)."""
    if study.human_condition != Study.HumanCondition.PEOPLE or not study.people_train_ids:
        return {"units": 0, "ties": 0}
    where, _ = _reference(study, list(study.people_train_ids))
    votes: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    seen = set()
    for annotator_id, example_id, label in HumanLabel.objects.filter(
            source=HumanLabel.Source.ANNOTATOR, example_id__in=list(where)).order_by("example_id").values_list(
            "annotator_id", "example_id", "label"):
        unit, flip = where[example_id]
        if (annotator_id, unit) in seen:
            continue
        seen.add((annotator_id, unit))
        votes[unit][int(label != flip)] += 1
    return {"units": len(votes), "ties": sum(1 for v in votes.values() if v[0] == v[1])}


def broken_pairs(study: Study) -> dict:
    """Per source, the pairs whose two orders got the same label (a broken comparison): the ICM run's labels on
    its pool, and each person who labeled both orders of a pair. Empty off comparison datasets."""
    if study.dataset.consistency != Dataset.Consistency.COMPARISON:
        return {}
    out = {}
    groups = dict(Example.objects.filter(pk__in=list(study.icm_pool_ids) + list(study.people_item_ids))
                  .values_list("pk", "group"))
    if study.run_id:
        by_pair: dict[object, list] = defaultdict(list)
        for ex, label in ElicitedLabel.objects.filter(run_id=study.run_id, label__isnull=False).values_list(
                "example_id", "label"):
            by_pair[groups.get(ex)].append(label)
        pairs = [v for g, v in by_pair.items() if g and len(v) == 2]
        out["icm"] = {"pairs": len(pairs), "broken": sum(1 for v in pairs if v[0] == v[1])}
    person: dict[tuple, list] = defaultdict(list)
    for who, ex, label in HumanLabel.objects.filter(source=HumanLabel.Source.ANNOTATOR,
                                                    example_id__in=list(study.people_item_ids)).values_list(
            "annotator_id", "example_id", "label"):
        person[(who, groups.get(ex))].append(label)
    both = [v for v in person.values() if len(v) == 2]
    out["people"] = {"pairs": len(both), "broken": sum(1 for v in both if v[0] == v[1])}
    return out


def study_design(study: Study) -> dict:
    """The study's design as the figure's caption and the downloads state it."""
    s = study.settings or {}
    return {"template": study.template, "design": study.design, "dataset": study.dataset.name,
            "train_split": study.train_split, "test_split": study.test_split,
            "icm_pool_examples": len(study.icm_pool_ids), "people_train_examples": len(study.people_train_ids),
            "test_examples": len(study.test_ids), "annotators_per_item": study.annotators_per_item,
            "human_condition": study.human_condition, "model": study.model,
            "max_chars": study.dataset.max_chars, "icm_pool_seed": study.icm_pool_seed,
            "test_seed": study.test_seed, "repeats": study.repeats, "iterations": s.get("iterations"),
            "max_demos": s.get("max_demos"), "settings": dict(s)}


def caption(design: dict) -> str:
    """One sentence: the design in words (the figure's caption)."""
    chars = (f"the model read at most {design['max_chars']:,} characters per post"
             if design.get("max_chars") else "the model read whole texts")
    people = (f"k = {design['annotators_per_item']} people per item"
              if design["human_condition"] == "people" else "the imported crowd votes as the people")
    return (f"Design ({design['design']}, template {design['template']}): ICM pool {design['icm_pool_examples']} "
            f"examples (seed {design['icm_pool_seed']}), people's train {design['people_train_examples']}, test "
            f"{design['test_examples']} (seed {design['test_seed']}); {people}; model {design['model']}, "
            f"{design.get('iterations') or '?'} ICM iterations, {design['repeats']} repeat"
            f"{'s' if design['repeats'] != 1 else ''}; people read whole posts, {chars}.")


def _acc(correct: int, n: int) -> dict:
    a = accuracy_with_ci(correct, n)
    return {"accuracy": a["accuracy"], "ci_low": a["ci_low"], "ci_high": a["ci_high"], "n": n, "correct": correct,
            "interval": "Wilson 95%"}


def condition_rows(study: Study, results: dict) -> list[dict]:
    """The evaluation's conditions the figure shows: zero-shot, zero-shot chat, the human condition, the study's
    ICM run and gold, in that order, each with the evaluation's own mean and 95% interval."""
    rows = []
    for c in results.get("conditions", []):
        kind = c.get("kind")
        if kind not in CONDITION_ORDER or c.get("measure") == "trained":  # trained rows: trained_condition_rows
            continue
        if kind == "icm" and study.run_id is not None and c.get("run_id") != study.run_id:
            continue
        rows.append({"group": "condition", "key": c.get("key") or kind, "kind": kind,
                     "name": KIND_NAMES[kind] + (f" (run #{c['run_id']})" if kind == "icm" and c.get("run_id") else ""),
                     "accuracy": c.get("mean"), "ci_low": c.get("ci_low"), "ci_high": c.get("ci_high"),
                     "n": c.get("n"), "unit": _condition_unit(study), "correct": None,
                     "n_demos": c.get("n_demos"), "demonstrations": c.get("n_demos"),
                     "repeats": len(c.get("per_repeat") or []),
                     "interval": "95% bootstrap over test items (the evaluation's)"})
    rows.sort(key=lambda r: CONDITION_ORDER.index(r["kind"]))
    return rows


TRAINED_NAMES = {"random": "Trained on random labels", "people": "Trained on people's labels",  # in this order
                 "crowd": "Trained on the crowd's labels", "icm": "Trained on ICM's labels",
                 "gold": "Trained on gold labels"}


def trained_condition_rows(study: Study, results: dict) -> list[dict]:
    """The evaluation's trained measure (issue 22), after the in-context rows: a model trained on the human
    condition's, the study's ICM run's and gold labels of the same train items ("trained on people's / ICM's /
    gold labels"), each with the evaluation's mean and 95% interval; a reward model on comparison datasets."""
    rows = []
    for c in results.get("conditions", []):
        kind = c.get("kind")
        if c.get("measure") != "trained" or kind not in TRAINED_NAMES:
            continue
        if kind == "icm" and study.run_id is not None and c.get("run_id") != study.run_id:
            continue
        what = f"reward model, {c.get('trainer', 'probe')}" if c.get("reward_model") else c.get("trainer", "probe")
        rows.append({"group": "condition", "key": c.get("key"), "kind": kind, "measure": "trained",
                     "name": f"{TRAINED_NAMES[kind]} ({what}"
                             + (f", run #{c['run_id']}" if kind == "icm" and c.get("run_id") else "")
                             + (", elicited + filled" if str(c.get("source", "")).endswith(":filled") else "") + ")",
                     "accuracy": c.get("mean"), "ci_low": c.get("ci_low"), "ci_high": c.get("ci_high"),
                     "n": c.get("n"), "unit": _condition_unit(study), "correct": None,
                     "n_train": (c.get("n_train") or [None])[0],
                     "repeats": len(c.get("per_repeat") or []),
                     "interval": "95% bootstrap over test items (the evaluation's)"})
    rows.sort(key=lambda r: list(TRAINED_NAMES).index(r["kind"]))
    return rows


def study_results(study: Study) -> dict:
    """The figure's rows and the verdict; StudyRefused until the study's evaluation has completed."""
    ev = study.evaluation
    if ev is None or ev.state != Evaluation.State.COMPLETED:
        state = "not started" if ev is None else ev.state
        raise StudyRefused(f"The results come from the study's evaluation, which is {state}.", kind="conflict")
    results = ev.results or {}
    test_ids = list(results.get("test_ids") or study.test_ids)
    annotators, majority = people_scores(study, test_ids) if study.human_condition == "people" else ([], None)
    rows = annotators + ([majority] if majority else []) + condition_rows(study, results)
    rows += trained_condition_rows(study, results)
    design = study_design(study)
    return {"study": {"id": study.pk, "name": study.name, "dataset": study.dataset.name, "template": study.template},
            "evaluation_id": ev.pk, "run_id": study.run_id, "n_test": results.get("n_test", len(test_ids)),
            "verdict": results.get("verdict") or "", "rows": rows, "design": design, "caption": caption(design),
            "people_train_ties": train_ties(study), "broken_pairs": broken_pairs(study)}


def results_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in data["rows"]:
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
    writer.writerow([])
    writer.writerow(["design", "value"])  # the design under the rows, so the file says what was measured
    for key, value in (data.get("design") or {}).items():
        writer.writerow([key, _cell(value if not isinstance(value, dict) else json.dumps(value, sort_keys=True))])
    ties = data.get("people_train_ties") or {}
    if ties:
        writer.writerow(["people_train_ties", f"{ties.get('ties', 0)} of {ties.get('units', 0)}"])
    for source, counts in (data.get("broken_pairs") or {}).items():
        writer.writerow([f"broken_pairs_{source}", f"{counts['broken']} of {counts['pairs']}"])
    return out.getvalue()


def _cell(value):
    if value is None:
        return ""
    return neutralize(value) if isinstance(value, str) else value  # a username may start with "-" or "+"
