"""The shapes an export's lines take. Every source yields the same record; a Shape turns it into a row.

- labels:     id, split, the example's fields (flattened), label, plus the source's own columns
              (score and confidence for a run; votes for a people's majority; annotator per annotator).
- sft:        id, prompt (the rendered prompt the model saw), completion (the label word, verbatim).
- preference: id, prompt, chosen, rejected — for comparison datasets, where a True label means the
              example's first response is the better one.

A source's `tags` (a run's kind and batch) close every style's rows.
"""
from typing import NamedTuple

from studio.models import Dataset, Example

from .options import ExportError


class Record(NamedTuple):
    external_id: str
    split: str
    fields: dict
    prompt: str
    label: bool
    extra: dict


# (prompt field, first response, second response) names that comparison imports use, tried in order.
PAIR_FIELDS = [
    ("question", "choice", "choice_2"),
    ("prompt", "response_a", "response_b"),
    ("prompt", "response_1", "response_2"),
    ("instruction", "output_1", "output_2"),
    ("question", "answer_1", "answer_2"),
]
BASE_COLUMNS = ("id", "split", "label")


def display_field_names(dataset: Dataset) -> list[str]:
    """display_fields entries are a field name or {"field": name, "label": title}."""
    names = []
    for entry in dataset.display_fields or []:
        name = entry
        if isinstance(entry, dict):
            name = entry.get("field") or entry.get("name")
        if isinstance(name, str) and name:
            names.append(name)
    return names


def field_keys(dataset: Dataset) -> list[str]:
    """The dataset's example fields, display fields first (taken from its first example)."""
    first = Example.objects.filter(dataset=dataset).order_by("position", "pk").values_list("fields", flat=True).first()
    keys = list(first) if isinstance(first, dict) else []
    ordered = [k for k in display_field_names(dataset) if k in keys]
    return ordered + [k for k in keys if k not in ordered]


def pair_fields(dataset: Dataset) -> tuple[str, str, str]:
    if dataset.task_type != Dataset.TaskType.COMPARISON:
        raise ExportError(
            f"style 'preference' needs a comparison dataset; '{dataset.name}' has task type '{dataset.task_type}'."
        )
    keys = set(field_keys(dataset))
    for names in PAIR_FIELDS:
        if set(names) <= keys:
            return names
    shown = display_field_names(dataset)
    if len(shown) == 3 and set(shown) <= keys:
        return tuple(shown)
    raise ExportError(
        f"style 'preference' needs a prompt and two responses in each example's fields; '{dataset.name}' has "
        f"{sorted(keys)} (expected e.g. question/choice/choice_2, or three display fields: prompt, first, second)."
    )


class Shape:
    def __init__(self, dataset: Dataset, style: str, extra_columns: tuple[str, ...] = (), tags: tuple[str, ...] = ()):
        self.dataset = dataset
        self.style = style
        self.extra_columns = extra_columns
        self.tags = tags
        if style == "labels":
            reserved = set(BASE_COLUMNS) | set(extra_columns) | set(tags)
            # A field named like a fixed column is written as field_<name>.
            self.fields = [(k, f"field_{k}" if k in reserved else k) for k in field_keys(dataset)]
            self.columns = ["id", "split", *(col for _, col in self.fields), "label", *extra_columns, *tags]
            self.row = self._labels
        elif style == "sft":
            self.columns = ["id", "prompt", "completion", *tags]
            self.row = self._tagged(self._sft) if tags else self._sft
        elif style == "preference":
            self.prompt_field, self.first_field, self.second_field = pair_fields(dataset)
            self.columns = ["id", "prompt", "chosen", "rejected", *tags]
            self.row = self._tagged(self._preference) if tags else self._preference
        else:  # options.check_format_and_style runs first; this is a programming error
            raise ExportError(f"unknown style {style!r}")

    def _tagged(self, row):
        tags = self.tags

        def tagged(r: Record) -> dict:
            out = row(r)
            for col in tags:
                out[col] = r.extra.get(col)
            return out
        return tagged

    def _labels(self, r: Record) -> dict:
        row = {"id": r.external_id, "split": r.split}
        fields = r.fields or {}
        for key, col in self.fields:
            row[col] = fields.get(key)
        row["label"] = r.label
        for col in self.extra_columns:
            row[col] = r.extra.get(col)
        for col in self.tags:
            row[col] = r.extra.get(col)
        return row

    def _sft(self, r: Record) -> dict:
        word = self.dataset.true_word if r.label else self.dataset.false_word
        return {"id": r.external_id, "prompt": r.prompt, "completion": word}

    def _preference(self, r: Record) -> dict:
        fields = r.fields or {}
        first, second = fields.get(self.first_field), fields.get(self.second_field)
        chosen, rejected = (first, second) if r.label else (second, first)
        return {"id": r.external_id, "prompt": fields.get(self.prompt_field), "chosen": chosen, "rejected": rejected}
