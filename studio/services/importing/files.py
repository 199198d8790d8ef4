"""Importing a user's own JSON array / JSONL / CSV / TSV file with a field mapping."""
import hashlib
import json
from pathlib import Path

from django.db import transaction

from studio.models import Dataset

from .errors import ImportFailed
from .mapping import parse_mapping, mapped_rows
from .prompts import check_template, default_template
from .text import check_max_chars
from .readers import FORMATS, detect_format, open_source, read_records
from .writer import create_dataset, write_rows


def import_file(source, *, name: str, fmt: str | None = None, mapping, task_type: str = "claim",
                consistency: str = "none", split: str = "train", prompt_template: str | None = None,
                question: str = "", description: str = "", display_fields: list[str] | None = None,
                true_word: str = " True", false_word: str = " False", source_credit: str = "",
                gold_derived_metadata: bool = False, max_chars: int | None = None, stdout=None) -> Dataset:
    """Create a Dataset from `source` (a path or an open binary file). All or nothing: on the first bad
    row it raises ImportFailed naming the row and field, and nothing is written."""
    fm = parse_mapping(mapping)
    max_chars = check_max_chars(max_chars)
    field_names = list(fm.fields)
    if task_type not in Dataset.TaskType.values:
        raise ImportFailed(f"unknown task type {task_type!r}: expected one of {', '.join(Dataset.TaskType.values)}",
                           field="task_type")
    if consistency not in Dataset.Consistency.values:
        raise ImportFailed(
            f"unknown consistency {consistency!r}: expected one of {', '.join(Dataset.Consistency.values)}",
            field="consistency",
        )
    if consistency != Dataset.Consistency.NONE and not fm.group:
        raise ImportFailed(f"consistency {consistency!r} needs consistency groups: map group=<column>",
                           field="consistency")
    if consistency == Dataset.Consistency.KEYS and not fm.key:
        raise ImportFailed("consistency 'keys' needs keys: map key=<column>", field="consistency")
    if fmt and fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}", field="format")
    if not split or len(split) > 20:
        raise ImportFailed("a split name must be 1–20 characters", field="split")
    template = prompt_template or default_template(field_names)
    check_template(template, field_names)
    shown = list(display_fields) if display_fields else field_names
    for f in shown:
        if f not in field_names:
            raise ImportFailed(f"display field {f!r} is not a mapped field (fields: {', '.join(field_names)})",
                               field="display_fields")

    if not isinstance(source, (str, Path)) and not (hasattr(source, "seek") and getattr(source, "seekable",
                                                                                      lambda: True)()):
        raise ImportFailed("the file must be a path or a seekable file: it is read twice (content order, then rows)")
    with open_source(source) as (src, filename):
        fmt = fmt or detect_format(filename, src.head)
        order = content_order(mapped_rows(read_records(src, fmt), fm, default_split=split))
    with open_source(source) as (src, filename):
        records = read_records(src, fmt)
        with transaction.atomic():
            dataset = create_dataset(
                name=name, task_type=task_type, consistency=consistency, description=description,
                question=question, prompt_template=template, true_word=true_word, false_word=false_word,
                display_fields=shown, gold_derived_metadata=gold_derived_metadata, max_chars=max_chars,
                source=source_credit or (f"Imported from {filename}" if filename else "Imported from a file"),
            )
            rows = mapped_rows(records, fm, default_split=split)
            if not fm.id:  # the row number would tell the file's order: number rows in content order instead
                rows = _renumbered(rows, order)
            counts = write_rows(dataset, rows, order=order)
    if stdout is not None:
        stdout.write(f"Imported {dataset.name!r} from {filename or 'the upload'} ({fmt}): {counts.summary()}.\n")
    dataset.import_counts = counts
    return dataset


def content_order(rows) -> list[int]:
    """Each row's rank (0-based) in an order fixed by its content, never by gold or by where it stands in the
    file: a file sorted by label would otherwise hand out its true examples first, and example ids and
    positions would tell annotators the gold (the presets do the same within groups: builders/common.py
    order_without_gold). A first pass over the file; it keeps one number per row."""
    keys = []  # digest prefix and row index packed in one int: small even for millions of rows
    for i, r in enumerate(rows):
        blob = json.dumps([r.fields, r.group, r.key, r.split], sort_keys=True, ensure_ascii=False, default=str)
        keys.append(int.from_bytes(hashlib.sha1(blob.encode("utf-8")).digest()[:6], "big") << 32 | i)
    keys.sort()
    order = [0] * len(keys)
    for rank, key in enumerate(keys):
        order[key & 0xFFFFFFFF] = rank
    return order


def _renumbered(rows, order: list[int]):
    for i, r in enumerate(rows):
        r.external_id = str(order[i] + 1)
        yield r
