"""Incremental upkeep: one example's labels change inside `with keeping(example):`, and its cells' difference
is added to the split's tallies and its vote columns are set, in the same transaction.

Locking (PostgreSQL): every writer first takes the dataset row FOR KEY SHARE (writers never wait on each
other there), then the example's row; a rebuild takes the dataset row FOR UPDATE, so it sees no label
half-counted and no writer counts against a stale recount. Tally rows are upserted in one sorted order, so
two writers meeting on the same cells queue instead of deadlocking. On SQLite the single writer serializes.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from django.db import connection

from studio.models import Example, Tally

from .cells import CELL_FIELDS, example_cells, fixed_sources
from .twins import twin_id


def share_lock(dataset_id: int) -> None:
    """Hold off a rebuild of this dataset until the current transaction ends (call before locking examples)."""
    if connection.vendor == "postgresql":
        from studio.models import Dataset

        table = connection.ops.quote_name(Dataset._meta.db_table)
        with connection.cursor() as cur:
            cur.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [dataset_id])


@contextmanager
def keeping(example: Example):
    """Wrap a change to `example`'s labels (inside a transaction, after share_lock and the row locks of the
    example and of its twin, if any: its label is also an implied vote on the twin, see twins.py)."""
    twin = twin_id(example)
    members = [(example.pk, example.split, twin)]
    if twin is not None:
        members.append((twin, Example.objects.filter(pk=twin).values_list("split", flat=True).get(), example.pk))
    # gold and runs: a person's label changes neither
    fixed = {pk: fixed_sources(pk, split) for pk, split, _ in members}
    before = [example_cells(pk, split, fixed=fixed[pk], twin=other)[0] for pk, split, other in members]
    yield
    delta: Counter = Counter()
    for (pk, split, other), old in zip(members, before):
        after, votes = example_cells(pk, split, fixed=fixed[pk], twin=other)
        delta.update(after)
        delta.subtract(old)
        Example.objects.filter(pk=pk).update(**votes._asdict())
    add(example.dataset_id, delta)


def add(dataset_id: int, delta: dict) -> None:
    """n += delta for each cell (creating missing cells), in sorted order (see the module docstring)."""
    rows = sorted((cell, n) for cell, n in delta.items() if n)
    if not rows:
        return
    table = connection.ops.quote_name(Tally._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in ("dataset_id", *CELL_FIELDS, "n"))
    conflict = ", ".join(connection.ops.quote_name(c) for c in ("dataset_id", *CELL_FIELDS))
    placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(CELL_FIELDS) + 2)) + ")"] * len(rows))
    params = [v for cell, n in rows for v in (dataset_id, *cell, n)]
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({cols}) VALUES {placeholders} "
                    f"ON CONFLICT ({conflict}) DO UPDATE SET n = {table}.n + excluded.n", params)
