"""Incremental upkeep: one example's labels change inside `with keeping(example):`, and its cells' difference
is added to the split's tallies and its vote columns are set, in the same transaction.

Locking (PostgreSQL): every writer first takes the dataset row FOR KEY SHARE (writers never wait on each
other there), then the example's row; a rebuild takes the dataset row FOR UPDATE, so it sees no label
half-counted and no writer counts against a stale recount. Tally rows are upserted in one sorted order, so
two writers meeting on the same cells queue instead of deadlocking. On SQLite the single writer serializes.

The people's filter (cells.qualifying_minimum): when a write takes an annotator's labels in a split across the
minimum (up or down), the examples they labeled there, and the twins of those, are recounted with and without
them once, under those examples' row locks (in id order). `annotator_lock` (taken before share_lock) keeps one
annotator's writes in a dataset one at a time, and writes that may cross one at a time per dataset, so no two
writers count the same crossing or cross into each other's examples.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from django.db import connection

from studio.models import Example, Tally

from .cells import CELL_FIELDS, Kind, annotator_counts, example_cells, fixed_sources, qualifying_minimum
from . import study_counts
from .twins import has_twins, twin_id


def share_lock(dataset_id: int) -> None:
    """Hold off a rebuild of this dataset until the current transaction ends (call before locking examples)."""
    if connection.vendor == "postgresql":
        from studio.models import Dataset

        table = connection.ops.quote_name(Dataset._meta.db_table)
        with connection.cursor() as cur:
            cur.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [dataset_id])


def annotator_lock(dataset_id: int, annotator_id: int, split: str | None = None) -> None:
    """One write at a time per annotator and dataset (their labels, skips, undos and claims), and, for a label in
    `split` that may take them across the people's filter, one such write at a time per dataset (see the module
    docstring). PostgreSQL advisory locks, released at commit; on SQLite the single writer serializes."""
    if connection.vendor != "postgresql":
        return
    minimum = qualifying_minimum()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [-dataset_id, annotator_id])
        if split is None or minimum <= 1:
            return
        if minimum - 1 <= annotator_counts(dataset_id, split).get(annotator_id, 0) <= minimum:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [-dataset_id, 0])


@contextmanager
def keeping(example: Example):
    """Wrap a change to `example`'s labels (inside a transaction, after share_lock and the row locks of the
    example and of its twin, if any: its label is also an implied vote on the twin, see twins.py)."""
    twin = twin_id(example)
    members = [(example.pk, example.split, twin)]
    if twin is not None:
        members.append((twin, Example.objects.filter(pk=twin).values_list("split", flat=True).get(), example.pk))
    minimum = qualifying_minimum()
    counts = {split: annotator_counts(example.dataset_id, split) if minimum > 1 else {} for _, split, _ in members}
    old_q = {split: frozenset(a for a, n in c.items() if n >= minimum) for split, c in counts.items()}
    # gold and runs: a person's label changes neither
    fixed = {pk: fixed_sources(pk, split) for pk, split, _ in members}
    units = has_twins(example.dataset)
    before = [example_cells(pk, split, fixed=fixed[pk], twin=other, qualified=old_q[split], minimum=minimum,
                            units=units)[0]
              for pk, split, other in members]
    in_studies = study_counts.before([pk for pk, _, _ in members])  # the studies' progress, kept alike
    yield
    study_counts.after(in_studies)
    delta: Counter = Counter()
    after = []
    for (pk, split, other), old in zip(members, before):
        cells, votes = example_cells(pk, split, fixed=fixed[pk], twin=other, qualified=old_q[split], minimum=minimum,
                                     units=units)
        after.append(cells)
        delta.update(cells)
        delta.subtract(old)
        Example.objects.filter(pk=pk).update(**votes._asdict())
    # who passes the filter after this write: the stored counts plus this write's own labels
    new_q = {}
    for split, c in counts.items():
        now = dict(c)
        for cell, n in delta.items():
            if cell.split == split and cell.a_kind == Kind.ANNOTATOR and cell.b_kind == Kind.NONE:
                now[cell.a_ref] = now.get(cell.a_ref, 0) + n
        new_q[split] = frozenset(a for a, n in now.items() if n >= minimum)
    if new_q != old_q:  # someone crossed the minimum: recount with the new set, here and where they voted
        for (pk, split, other), cells in zip(members, after):
            delta.subtract(cells)
            delta.update(example_cells(pk, split, fixed=fixed[pk], twin=other, qualified=new_q[split],
                                       minimum=minimum, units=units)[0])
        for split in counts:
            for annotator in old_q[split] ^ new_q[split]:
                delta.update(_crossing(example, split, annotator, {pk for pk, _, _ in members},
                                       old_q[split], new_q[split], minimum))
    add(example.dataset_id, delta)


def _crossing(example: Example, split: str, annotator_id: int, done: set[int], old_q, new_q, minimum: int) -> Counter:
    """The cells' change on the split's other examples whose votes include `annotator_id`'s (theirs, or implied
    by their label on the twin) when the filter's set goes from `old_q` to `new_q`: locked in id order, each
    counted both ways (a few queries per example, once per annotator and split)."""
    from studio.models import HumanLabel

    dataset_id = example.dataset_id
    mine = HumanLabel.objects.filter(annotator_id=annotator_id, source=HumanLabel.Source.ANNOTATOR,
                                     example__dataset_id=dataset_id)
    ids = set(mine.filter(example__split=split).values_list("example_id", flat=True))
    if has_twins(example.dataset):  # examples their label on the twin votes on
        groups = Example.objects.filter(pk__in=mine.values("example_id")).exclude(group="").values("group")
        ids |= set(Example.objects.filter(dataset_id=dataset_id, split=split, group__in=groups)
                   .values_list("pk", flat=True))
    ids -= done
    if not ids:
        return Counter()
    examples = list(Example.objects.select_related("dataset").filter(pk__in=ids).order_by("pk"))
    twins = {e.pk: twin_id(e) for e in examples}
    lock = sorted((ids | {t for t in twins.values() if t}) - done)
    if connection.vendor == "postgresql":
        list(Example.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=lock).order_by("pk")
             .values_list("pk"))
    delta: Counter = Counter()
    for e in examples:  # (UNIT_VOTE cells do not depend on the filter: both counts leave them out alike)
        fixed = fixed_sources(e.pk, split)
        delta.update(example_cells(e.pk, split, fixed=fixed, twin=twins[e.pk], qualified=new_q, minimum=minimum)[0])
        delta.subtract(example_cells(e.pk, split, fixed=fixed, twin=twins[e.pk], qualified=old_q, minimum=minimum)[0])
    return delta


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
