"""Which splits a dataset has: the one definition the run form, runs, evaluations, review and export use."""
from __future__ import annotations

from django.db import connection

from studio.models import Dataset, Example


def dataset_splits(dataset: Dataset | None = None) -> list[str]:
    """The split names of the dataset's examples, in order (of every dataset's when dataset is None).

    One dataset: a loose index scan (one index probe per split, on the (dataset, split, position) index) instead
    of DISTINCT over every example: milliseconds at 100,000 examples."""
    if dataset is None:
        return list(Example.objects.order_by("split").values_list("split", flat=True).distinct())
    table = connection.ops.quote_name(Example._meta.db_table)
    sql = (f"WITH RECURSIVE s(split) AS (SELECT MIN(split) FROM {table} WHERE dataset_id = %s "
           f"UNION ALL SELECT (SELECT MIN(split) FROM {table} WHERE dataset_id = %s AND split > s.split) "
           f"FROM s WHERE s.split IS NOT NULL) SELECT split FROM s WHERE split IS NOT NULL")
    with connection.cursor() as cur:
        cur.execute(sql, [dataset.pk, dataset.pk])
        return [row[0] for row in cur.fetchall()]
