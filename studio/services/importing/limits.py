"""Bounds on what one row of an import may hold, so a hostile or broken file is refused with the row (and
field) named instead of taking the worker's memory or the database's column limits (issue 16).

Settings (studio/settings.py): IMPORT_MAX_FIELD_BYTES (one value, UTF-8 bytes), IMPORT_MAX_ROW_BYTES (one
record as read from the file), IMPORT_MAX_VOTES_PER_ROW (crowd votes; a vote's number is stored in a
PositiveSmallIntegerField, so never more than 32,767)."""
from django.conf import settings

from .errors import ImportFailed

MAX_VOTER_NUMBER = 32767  # HumanLabel.crowd_voter is a PositiveSmallIntegerField


def max_field_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_FIELD_BYTES", 1024 * 1024))


def max_row_bytes() -> int:
    return max(int(getattr(settings, "IMPORT_MAX_ROW_BYTES", 8 * 1024 * 1024)), max_field_bytes())


def max_votes_per_row() -> int:
    return min(int(getattr(settings, "IMPORT_MAX_VOTES_PER_ROW", 1000)), MAX_VOTER_NUMBER)


def size_text(n: int) -> str:
    return f"{n // 2**20:,} MiB" if n >= 2**20 and n % 2**20 == 0 else f"{n:,} bytes"


def too_big(what: str, limit: int, setting: str) -> str:
    return f"{what} is larger than the limit of {size_text(limit)} (setting {setting})"


MAX_DEPTH = 100  # lists/objects inside one record
MAX_NUMBER_DIGITS = 4000  # Python refuses to read or print integers of more than 4,300 digits


class HugeNumber(str):
    """A JSON integer too long to be a number here, kept as its text until check_record names its field."""


def parse_int(text: str):
    """json's parse_int: an int, or a HugeNumber beyond MAX_NUMBER_DIGITS (refused by check_record)."""
    return HugeNumber(text) if len(text.lstrip("-")) > MAX_NUMBER_DIGITS else int(text)


def check_record(record: dict, *, row: int | None, line: int | None = None) -> None:
    """Every string in the record (nested ones too) is at most IMPORT_MAX_FIELD_BYTES and nothing nests deeper
    than MAX_DEPTH; the error names the top-level key."""
    limit = max_field_bytes()
    for key, value in record.items():
        longest, depth, huge = _measure(value)
        if huge:
            raise ImportFailed(f"a number of {huge:,} digits; at most {MAX_NUMBER_DIGITS:,} digits are allowed",
                               row=row, field=str(key), line=line)
        if depth > MAX_DEPTH:
            raise ImportFailed(f"invalid JSON: nested more than {MAX_DEPTH} levels deep", row=row, field=str(key),
                               line=line)
        if longest > limit:
            raise ImportFailed(too_big("the value", limit, "IMPORT_MAX_FIELD_BYTES"), row=row, field=str(key),
                               line=line)


def _measure(value) -> tuple[int, int, int]:
    """(the longest string's UTF-8 size, how many lists/objects nest inside each other, the digits of a
    HugeNumber or 0), without recursion."""
    stack, longest, deepest, huge = [(value, 0)], 0, 0, 0
    while stack:
        v, depth = stack.pop()
        if isinstance(v, HugeNumber):
            huge = max(huge, len(v.lstrip("-")))
        elif isinstance(v, str):
            # n characters are n to 4n bytes: encode only when it could be the longest
            n = len(v) if len(v) * 4 <= longest else len(v.encode("utf-8", "surrogatepass"))
            longest = max(longest, n)
        elif isinstance(v, (dict, list)):
            deepest = max(deepest, depth + 1)
            items = [*v.values(), *v] if isinstance(v, dict) else v
            stack.extend((x, depth + 1) for x in items)
    return longest, deepest, huge
