"""The one error an import raises. It names where the file is wrong so a person can fix it."""
from studio.services.refusals import CONFLICT, INVALID, Refusal


class ImportFailed(Refusal):
    """An import was refused; nothing was written.

    `row` is the 1-based row (JSONL: the line; JSON array: the element; CSV: the data record, header not
    counted) or None when the problem is not in one row. `line` is the physical line in the file where it
    differs from `row` (JSON arrays, CSV). `field` names the mapped field or column, or None.
    str() prefixes the message with where it is ("row 3 (line 5), field 'label': ...").
    """

    def __init__(self, message: str, *, row: int | None = None, field: str | None = None, line: int | None = None,
                 kind: str = INVALID):
        super().__init__(message, field, kind=kind)
        self.row = row
        self.line = line

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (line {self.line})" if self.line and self.line != self.row else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class DatasetExists(ImportFailed):
    """A dataset with that name (or that preset variant) is already in the database."""

    def __init__(self, message: str, dataset=None):
        super().__init__(message, kind=CONFLICT)
        self.dataset = dataset
