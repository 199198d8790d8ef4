"""Turning raw cell values (JSON values or CSV strings) into what the tables hold, or a clear error."""
from .errors import ImportFailed

TRUE_WORDS = {"true", "1", "yes", "t", "y"}
FALSE_WORDS = {"false", "0", "no", "f", "n"}
BOOL_EXPECTED = "expected a boolean (true/false/0/1)"


def parse_bool(value, *, row: int | None, field: str, line: int | None = None) -> bool | None:
    """True/False, 0/1 (number or text), yes/no. None or an empty string mean "no label"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "":
            return None
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    shown = value if isinstance(value, str) else repr(value)
    raise ImportFailed(f"{BOOL_EXPECTED}, got {shown!r}", row=row, field=field, line=line)


def parse_votes(value, *, row: int | None, field: str, line: int | None = None) -> list[bool | None]:
    """Crowd votes: a list of booleans, one boolean, or text like "1;0;1"."""
    if value is None or value == "":
        return []
    from .limits import max_votes_per_row

    cap = max_votes_per_row()
    if isinstance(value, str) and ";" in value:
        if value.count(";") >= cap:  # counted before splitting: a huge cell is refused without a list
            raise ImportFailed(_too_many(value.count(";") + 1, cap), row=row, field=field, line=line)
        value = value.split(";")
    if not isinstance(value, list):
        value = [value]
    if len(value) > cap:
        raise ImportFailed(_too_many(len(value), cap), row=row, field=field, line=line)
    return [parse_bool(v, row=row, field=field, line=line) for v in value]


def _too_many(n: int, cap: int) -> str:
    return f"{n:,} crowd votes in one row; at most {cap:,} are allowed (setting IMPORT_MAX_VOTES_PER_ROW)"


def to_text(value, *, row: int | None, field: str, max_length: int, line: int | None = None,
            required: bool = False) -> str:
    """A short identifier-like value (id, group, key, split) as text."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (str, int, float)):
        text = str(value).strip()
    else:
        raise ImportFailed(f"expected text or a number, got {type(value).__name__}", row=row, field=field, line=line)
    if required and not text:
        raise ImportFailed("expected a value, got nothing", row=row, field=field, line=line)
    if len(text) > max_length:
        raise ImportFailed(f"at most {max_length} characters allowed, got {len(text)}", row=row, field=field,
                           line=line)
    return text
