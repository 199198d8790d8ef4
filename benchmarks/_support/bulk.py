"""Bulk loading for the benchmarks that seed large datasets: COPY of tab-separated lines, and a load with secondary
indexes and foreign-key triggers off (PostgreSQL)."""
from __future__ import annotations

import io


def copy_rows(cur, table_model, columns: list[str], lines) -> None:
    """COPY rows (already tab-separated text lines) into a model's table, in chunks."""
    from django.db import connection

    table = connection.ops.quote_name(table_model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(table_model._meta.get_field(c).column) for c in columns)
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        buf = io.StringIO()
        for k, line in enumerate(lines, 1):
            buf.write(line)
            buf.write("\n")
            if k % 50000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


class BulkLoad:
    """Within the seeding transaction: secondary indexes of `models`' tables dropped (those backing no constraint)
    and foreign-key triggers off while rows stream in, the indexes built once at the end. The rows are generated
    consistent here, and the unique constraints stay, so nothing is left unchecked that the data could break."""

    def __init__(self, cur, models):
        self.cur, self.tables = cur, [m._meta.db_table for m in models]

    def __enter__(self):
        self.cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [self.tables])
        self.indexes = self.cur.fetchall()
        for name, _ in self.indexes:
            self.cur.execute(f"DROP INDEX {name}")
        self.cur.execute("SET LOCAL session_replication_role = replica")
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.cur.execute("SET LOCAL session_replication_role = DEFAULT")
            self.cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _, definition in self.indexes:
                self.cur.execute(definition)
        return False


def b(v: bool) -> str:
    return "t" if v else "f"
