"""Writing examples: validate each row as it streams past, bulk-insert in batches.

Callers run this inside one transaction.atomic(): the first bad row raises ImportFailed and the whole
import rolls back, so a broken file leaves the database as it was.
"""
from collections import Counter
from itertools import islice
from dataclasses import dataclass, field

import json

from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.text import slugify

from studio.models import Dataset, Example, GoldLabel, HumanLabel
from studio.services import tallies

from .errors import DatasetExists, ImportFailed
from .mapping import MAX_GROUP, MAX_ID, MAX_SPLIT
from .prompts import render, template_fields
from .rows import ExampleRow
from .text import check_max_chars, decode_fields

BATCH_SIZE = 2000
# A batch is written early once its rows carry this many crowd votes, and votes go to the database in chunks
# of this size, so rows with many votes never build one huge list (issue 16).
VOTE_CHUNK = 20000


@dataclass
class WriteCounts:
    examples: int = 0
    gold: int = 0
    crowd_votes: int = 0
    splits: Counter = field(default_factory=Counter)
    groups: set = field(default_factory=set)

    def summary(self) -> str:
        splits = ", ".join(f"{n:,} {s}" for s, n in sorted(self.splits.items(), key=lambda kv: (kv[0] != "train", kv[0])))
        text = f"{self.examples:,} examples ({splits})"
        if self.groups:
            text += f" in {len(self.groups):,} groups"
        text += f", {self.gold:,} gold labels"
        if self.crowd_votes:
            text += f", {self.crowd_votes:,} crowd-vote human labels"
        return text


def unique_slug(name: str) -> str:
    base = slugify(name)[:190] or "dataset"
    slug, n = base, 1
    while Dataset.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_dataset(*, name: str, **attrs) -> Dataset:
    name = (name or "").strip()
    if not name:
        raise ImportFailed("a dataset name is required", field="name")
    if len(name) > 200:
        raise ImportFailed(f"at most 200 characters allowed, got {len(name)}", field="name")
    existing = Dataset.objects.filter(name=name).first()
    if existing:
        raise DatasetExists(f"a dataset named {name!r} already exists (id {existing.pk})", existing)
    return Dataset.objects.create(name=name, slug=unique_slug(name), **attrs)


def write_rows(dataset: Dataset, rows, *, batch_size: int = BATCH_SIZE, order: list[int] | None = None
               ) -> WriteCounts:
    """`order`, when given, is each row's rank: its position, and its id's rank among the dataset's ids (ids
    drawn up front), so neither follows the file's order (files.content_order)."""
    template = dataset.prompt_template
    template_fields(template)
    counts = WriteCounts()
    seen_ids: dict[str, int | None] = {}
    batch: list[tuple[ExampleRow, int, str]] = []  # (row, position, prompt)
    batch_votes = 0

    insert = _inserter()
    pks = _reserve_ids(len(order)) if order else None

    def flush():
        nonlocal batch_votes
        if not batch:
            return
        try:
            insert(dataset.pk, batch)
        except (DatabaseError, *_driver_errors()) as e:
            first, last = batch[0][0], batch[-1][0]
            raise ImportFailed(
                f"the database refused one of rows {first.row or first.external_id}–{last.row or last.external_id}: "
                f"{str(e).strip().splitlines()[0]}"
            ) from None
        batch.clear()
        batch_votes = 0

    max_chars = check_max_chars(dataset.max_chars)
    for i, r in enumerate(rows):
        position = order[i] if order else i
        if pks is not None:
            r.pk = pks[position]
        try:
            r.fields = decode_fields(r.fields)  # entities decoded, the originals kept (text.py)
        except ImportFailed as e:
            raise ImportFailed(e.message, row=r.row, field=e.field, line=r.line) from None
        _check(r, seen_ids)
        try:
            prompt = render(template, r.fields, max_chars)
        except KeyError as e:
            raise ImportFailed(f"the prompt template uses {{{e.args[0]}}} but this row has no such field",
                               row=r.row, field=str(e.args[0]), line=r.line) from None
        batch.append((r, position, prompt))
        counts.examples += 1
        counts.gold += r.gold is not None
        counts.crowd_votes += len(r.crowd_votes)
        batch_votes += len(r.crowd_votes)
        counts.splits[r.split] += 1
        if r.group:
            counts.groups.add(r.group)
        if len(batch) >= batch_size or batch_votes >= VOTE_CHUNK:
            flush()
    flush()
    if not counts.examples:
        raise ImportFailed("the file has no rows")
    tallies.rebuild(dataset)  # the new examples' votes and cells, in the import's transaction
    return counts


def _reserve_ids(n: int) -> list[int]:
    """n example ids, ascending, taken before any row is written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                        [Example._meta.db_table, n])
            return sorted(row[0] for row in cur.fetchall())
    start = (Example.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    return list(range(start, start + n))


def _inserter():
    return _copy_batch if connection.vendor == "postgresql" else _orm_batch


def _orm_batch(dataset_id: int, batch: list[tuple[ExampleRow, int, str]]) -> None:
    created = Example.objects.bulk_create(
        [Example(pk=r.pk, dataset_id=dataset_id, external_id=r.external_id, split=r.split, position=position,
                 fields=r.fields, prompt=prompt, group=r.group, key=r.key) for r, position, prompt in batch]
    )
    GoldLabel.objects.bulk_create(
        [GoldLabel(example_id=e.pk, label=r.gold) for e, (r, _, _) in zip(created, batch) if r.gold is not None]
    )
    votes = (HumanLabel(example_id=e.pk, source=HumanLabel.Source.CROWD, crowd_voter=pos, label=vote)
             for e, (r, _, _) in zip(created, batch) for pos, vote in r.crowd_votes)
    while chunk := list(islice(votes, VOTE_CHUNK)):
        HumanLabel.objects.bulk_create(chunk)


def _columns(model, names: list[str]) -> str:
    fields = [model._meta.get_field(n) for n in names]
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _copy_batch(dataset_id: int, batch: list[tuple[ExampleRow, int, str]]) -> None:
    """PostgreSQL: COPY is several times faster than a multi-row INSERT (sst2's 68k rows in seconds). Ids are
    drawn from the table's own sequence first, so gold and crowd rows can point at their examples."""
    table = Example._meta.db_table
    with connection.cursor() as wrapper:
        cur = wrapper.cursor  # the psycopg cursor, for copy()
        ids = [r.pk for r, _, _ in batch]
        if None in ids:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                        [table, len(batch)])
            ids = [row[0] for row in cur.fetchall()]
        names = ["id", "dataset", "external_id", "split", "position", "fields", "prompt", "group", "key"]
        with cur.copy(f"COPY {connection.ops.quote_name(table)} ({_columns(Example, names)}) FROM STDIN") as copy:
            for pk, (r, position, prompt) in zip(ids, batch):
                copy.write_row((pk, dataset_id, r.external_id, r.split, position,
                                json.dumps(r.fields, ensure_ascii=False), prompt, r.group, r.key))
        gold = [(pk, r.gold) for pk, (r, _, _) in zip(ids, batch) if r.gold is not None]
        if gold:
            with cur.copy(f"COPY {connection.ops.quote_name(GoldLabel._meta.db_table)} "
                          f"({_columns(GoldLabel, ['example', 'label'])}) FROM STDIN") as copy:
                for row in gold:
                    copy.write_row(row)
        votes = [(pk, pos, vote) for pk, (r, _, _) in zip(ids, batch) for pos, vote in r.crowd_votes]
        if votes:
            now = timezone.now()
            columns = _columns(HumanLabel, ["example", "source", "crowd_voter", "label", "created_at"])
            with cur.copy(f"COPY {connection.ops.quote_name(HumanLabel._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for pk, pos, vote in votes:
                    copy.write_row((pk, HumanLabel.Source.CROWD.value, pos, vote, now))


def _driver_errors() -> tuple:
    if connection.vendor == "postgresql":
        import psycopg

        return (psycopg.Error,)
    return ()


def _check(r: ExampleRow, seen_ids: dict) -> None:
    where = {"row": r.row, "line": r.line}
    if not r.external_id or len(r.external_id) > MAX_ID:
        raise ImportFailed(f"an id must be 1–{MAX_ID} characters", field="id", **where)
    if r.external_id in seen_ids:
        first = seen_ids[r.external_id]
        raise ImportFailed(f"duplicate id {r.external_id!r}" + (f" (first on row {first})" if first else ""),
                           field="id", **where)
    seen_ids[r.external_id] = r.row
    if not r.split or len(r.split) > MAX_SPLIT:
        raise ImportFailed(f"a split name must be 1–{MAX_SPLIT} characters, got {r.split!r}", field="split", **where)
    if len(r.group) > MAX_GROUP or len(r.key) > MAX_GROUP:
        raise ImportFailed(f"group and key are at most {MAX_GROUP} characters", field="group", **where)
    for name, value in r.fields.items():
        if isinstance(value, str) and "\x00" in value:
            raise ImportFailed("contains a NUL character (\\u0000), which the database cannot store", field=name,
                               **where)
