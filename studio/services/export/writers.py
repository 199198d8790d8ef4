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


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, e.g. =cmd|' /C calc'!A0):
# such text cells get a leading single quote, which spreadsheets read as "this is text" (OWASP's advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return neutralize(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str):
        return neutralize(value)
    return value  # numbers stay numbers (a negative score is not a formula)


def _csv(rows: Iterable[dict], columns: list[str]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralize(str(c)) for c in columns])  # column names come from imported files too
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
