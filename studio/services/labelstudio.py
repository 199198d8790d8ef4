"""Label Studio interoperability.

Import: a Label Studio JSON export ("JSON" in its export menu: a list of tasks, each with `data` and
`annotations`) of a binary choice project becomes a new dataset. Each task's `data` becomes the example's
fields; annotations flagged `ground_truth` become its gold label; every other (not cancelled) annotation is a
human label, stored as an imported crowd vote whose voter number is the same Label Studio user throughout
the file. Atomic: the first bad task raises ImportFailed naming it, and nothing is written.

Export: a run as Label Studio tasks, the elicited labels as predictions (model_version "icm-run-<id>",
score = the model's probability of its label), for a project using `label_config(dataset)`; each task's meta
carries the label's kind (elicited by the search, or filled after it) and batch.
"""
import json
import math
from collections.abc import Iterator
from itertools import chain
from xml.sax.saxutils import quoteattr

from django.db import transaction

from studio.models import Dataset, ElicitationRun, ElicitedLabel
from studio.services.export.options import ExportFilters, check_split
from studio.services.export.styles import display_field_names, field_keys
from studio.services.importing import ImportFailed
from studio.services.runs.results import confidence_of
from studio.services.importing.prompts import check_template, default_template
from studio.services.importing.readers import open_source, read_records
from studio.services.importing.rows import ExampleRow
from studio.services.importing.writer import create_dataset, write_rows

KNOWN_TRUE = {"true", "yes"}
KNOWN_FALSE = {"false", "no"}
FROM_NAME = "label"
CHUNK_SIZE = 2000


class _Choices:
    """Which choice means True: named by the caller, or read from obvious words (True/False, Yes/No)."""

    def __init__(self, true_choice: str):
        self.true_choice = (true_choice or "").strip()
        self.seen: list[str] = []

    def label(self, choice: str, row: int) -> bool:
        if choice not in self.seen:
            self.seen.append(choice)
            if len(self.seen) > 2:
                raise ImportFailed(
                    f"a third choice {choice!r} (after {self.seen[0]!r} and {self.seen[1]!r}); "
                    "only binary choice projects can be imported", row=row, field="annotations",
                )
        if self.true_choice:
            if len(self.seen) == 2 and self.true_choice not in self.seen:
                raise ImportFailed(
                    f"true_choice {self.true_choice!r} is neither of the project's choices "
                    f"{self.seen[0]!r} and {self.seen[1]!r}", row=row, field="true_choice",
                )
            return choice == self.true_choice
        word = choice.strip().lower()
        if word in KNOWN_TRUE:
            return True
        if word in KNOWN_FALSE:
            return False
        raise ImportFailed(
            f"choice {choice!r} is not True/False or Yes/No: say which choice means True (true_choice)",
            row=row, field="true_choice",
        )


def _choice(annotation: dict, from_name: str, row: int) -> str | None:
    """The one choice an annotation picked (None for an empty or cancelled annotation)."""
    if not isinstance(annotation, dict):
        raise ImportFailed("expected each annotation to be an object", row=row, field="annotations")
    if annotation.get("was_cancelled"):
        return None
    results = annotation.get("result") or []
    if not isinstance(results, list):
        raise ImportFailed("expected an annotation's result to be a list", row=row, field="annotations")
    picked = [r for r in results if isinstance(r, dict) and r.get("type") == "choices"
              and (not from_name or r.get("from_name") == from_name)]
    if not picked:
        return None
    if len({r.get("from_name") for r in picked}) > 1:
        names = sorted({str(r.get("from_name")) for r in picked})
        raise ImportFailed(f"the annotation has several choice controls ({', '.join(names)}); name one with "
                           "from_name", row=row, field="from_name")
    value = picked[0].get("value") or {}
    if not isinstance(value, dict):
        raise ImportFailed(f"expected a choice result's value to be an object with 'choices', got {value!r:.60}",
                           row=row, field="annotations")
    choices = value.get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], str):
        raise ImportFailed(f"expected exactly one choice per annotation, got {choices!r}", row=row,
                           field="annotations")
    return choices[0]


def _annotator(annotation: dict) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("id", who.get("email"))
    return str(who)


def _rows(records, choices: _Choices, from_name: str, split: str) -> Iterator[ExampleRow]:
    voters: dict[str, int] = {}
    for row, line, task in records:
        data = task.get("data")
        if not isinstance(data, dict) or not data:
            raise ImportFailed("expected a task with a `data` object (is this Label Studio's JSON export?)",
                               row=row, field="data", line=line)
        task_id = task.get("id", row)
        gold, votes = None, {}
        for annotation in task.get("annotations") or []:
            choice = _choice(annotation, from_name, row)
            if choice is None:
                continue
            value = choices.label(choice, row)
            if annotation.get("ground_truth"):
                if gold is not None and gold != value:
                    raise ImportFailed("two ground-truth annotations disagree", row=row, field="annotations",
                                       line=line)
                gold = value
            else:
                position = voters.setdefault(_annotator(annotation), len(voters) + 1)
                votes[position] = value  # one vote per Label Studio user and task: their latest
        yield ExampleRow(external_id=str(task_id), fields=data, split=split, gold=gold,
                         crowd_votes=sorted(votes.items()), row=row, line=line)


def import_tasks(source, *, name: str, true_choice: str = "", from_name: str = "", split: str = "train",
                 task_type: str = "text", question: str = "", prompt_template: str | None = None,
                 display_fields: list[str] | None = None, description: str = "") -> Dataset:
    """A new dataset from a Label Studio JSON export (a path or an open binary file)."""
    if task_type not in Dataset.TaskType.values:
        raise ImportFailed(f"unknown task type {task_type!r}: expected one of {', '.join(Dataset.TaskType.values)}",
                           field="task_type")
    if not split or len(split) > 20:
        raise ImportFailed("a split name must be 1–20 characters", field="split")
    with open_source(source) as (src, filename):
        records = read_records(src, "json")
        first = next(records, None)
        if first is None:
            raise ImportFailed("the file has no tasks")
        data = first[2].get("data") if isinstance(first[2], dict) else None
        if not isinstance(data, dict) or not data:
            raise ImportFailed("expected a task with a `data` object (is this Label Studio's JSON export?)",
                               row=first[0], field="data", line=first[1])
        field_names = list(data)
        template = prompt_template or default_template(field_names)
        check_template(template, field_names)
        shown = list(display_fields) if display_fields else field_names
        with transaction.atomic():
            dataset = create_dataset(
                name=name, task_type=task_type, consistency=Dataset.Consistency.NONE, description=description,
                question=question, prompt_template=template, display_fields=shown,
                source=f"Imported from a Label Studio export ({filename or 'upload'})",
            )
            counts = write_rows(dataset, _rows(chain([first], records), _Choices(true_choice), from_name, split))
    dataset.import_counts = counts
    return dataset


# --- export -------------------------------------------------------------------------------------------------

def choice_words(dataset: Dataset) -> tuple[str, str]:
    return (dataset.true_word.strip() or "True", dataset.false_word.strip() or "False")


def _to_name(dataset: Dataset, keys: list[str]) -> str:
    shown = [k for k in display_field_names(dataset) if k in keys]
    return (shown or keys or ["text"])[0]


def label_config(dataset: Dataset) -> str:
    """A Label Studio labeling config (XML) for this dataset's exported tasks: its display fields as texts
    and one binary choice named "label", which is what the predictions refer to."""
    keys = field_keys(dataset)
    shown = [k for k in display_field_names(dataset) if k in keys] or keys
    yes, no = choice_words(dataset)
    lines = ["<View>"]
    if dataset.question:
        lines.append(f"  <Header value={quoteattr(dataset.question)}/>")
    for key in shown:
        lines.append(f"  <Text name={quoteattr(key)} value={quoteattr('$' + key)}/>")
    lines += [
        f"  <Choices name=\"{FROM_NAME}\" toName={quoteattr(_to_name(dataset, keys))} choice=\"single\" "
        "showInLine=\"true\">",
        f"    <Choice value={quoteattr(yes)}/>",
        f"    <Choice value={quoteattr(no)}/>",
        "  </Choices>",
        "</View>",
    ]
    return "\n".join(lines) + "\n"


def _probability(confidence: float | None) -> float | None:
    """The model's probability of its label: the sigmoid of the label's confidence (its centred score in the
    label's direction), below one half for a label the search kept against its own score."""
    if confidence is None:
        return None
    return 1.0 / (1.0 + math.exp(-max(min(confidence, 700.0), -700.0)))


def export_run_tasks(run: ElicitationRun, *, split: str = "", filled: str = "include") -> Iterator[str]:
    """The run's labeled examples as a JSON array of Label Studio tasks (streamed in chunks); each task's meta
    says whether its prediction was elicited by the search or filled after it (`icm_kind`) and its batch
    (`icm_batch`). filled='exclude' leaves the filled ones out."""
    check_split(run.dataset, split)
    ExportFilters(filled=filled)  # refuses a bad value, naming it
    dataset = run.dataset
    to_name = _to_name(dataset, field_keys(dataset))
    yes, no = choice_words(dataset)
    version = f"icm-run-{run.pk}"
    qs = ElicitedLabel.objects.filter(run=run, label__isnull=False)
    if filled == "exclude":
        qs = qs.exclude(kind=ElicitedLabel.Kind.FILLED)
    if split:
        qs = qs.filter(example__split=split)
    qs = qs.order_by("example__position", "example_id").values_list(
        "example_id", "example__external_id", "example__split", "example__fields", "label", "score", "kind", "batch")

    def tasks() -> Iterator[str]:
        dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode
        yield "["
        batch, first = [], True
        for pk, ext, sp, fields, label, score, kind, batch_index in qs.iterator(chunk_size=CHUNK_SIZE):
            task = {
                "data": {**(fields if isinstance(fields, dict) else {}), "icm_example_id": ext},
                "meta": {"studio_example": pk, "split": sp, "icm_log_odds": score, "icm_kind": kind,
                         "icm_batch": batch_index},
                "predictions": [{
                    "model_version": version,
                    "score": _probability(confidence_of(label, score)),
                    "result": [{"from_name": FROM_NAME, "to_name": to_name, "type": "choices",
                                "value": {"choices": [yes if label else no]}}],
                }],
            }
            batch.append(("" if first else ",\n") + dumps(task))
            first = False
            if len(batch) >= 200:
                yield "".join(batch)
                batch.clear()
        yield "".join(batch) + "]\n"

    return tasks()
