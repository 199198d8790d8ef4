"""Rows to text, a batch of lines per chunk (one write per row would dominate the cost of streaming)."""
import csv
import io
import json
from collections.abc import Iterable, Iterator

BATCH_ROWS = 500


def _jsonl(rows: Iterable[dict]) -> Iterator[str]:
    dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode
    batch: list[str] = []
    for row in rows:
        batch.append(dumps(row))
        if len(batch) >= BATCH_ROWS:
            yield "\n".join(batch) + "\n"
            batch.clear()
    if batch:
        yield "\n".join(batch) + "\n"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _csv(rows: Iterable[dict], columns: list[str]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
        n += 1
        if n >= BATCH_ROWS:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            n = 0
    # The header alone still goes out for an empty export.
    yield buf.getvalue()


def encode(rows: Iterable[dict], columns: list[str], fmt: str) -> Iterator[str]:
    return _jsonl(rows) if fmt == "jsonl" else _csv(rows, columns)
