"""Helpers the preset builders share."""
import hashlib
import math
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import ImportFailed
from ..readers import ByteSource, iter_json_array, iter_jsonl
from ..values import parse_bool

# Seed for the splits and pairings the studio makes itself (arXiv 2506.10139).
SEED = 2506


def read_json_array(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open("rb") as f:
        for row, _line, record in iter_json_array(ByteSource(f).text_chunks()):
            yield row, record


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open("rb") as f:
        for row, _line, record in iter_jsonl(ByteSource(f).lines()):
            yield row, record


def need(record: dict, field: str, row: int):
    if field not in record or record[field] is None:
        raise ImportFailed("missing required field", row=row, field=field)
    return record[field]


def gold(record: dict, row: int, field: str = "label") -> bool:
    value = parse_bool(need(record, field, row), row=row, field=field)
    if value is None:
        raise ImportFailed("expected a boolean, got an empty value", row=row, field=field)
    return value


def contiguous_groups(rows: Iterable[tuple[int, dict]], field: str = "consistency_id"):
    """(group id, [(row, record), ...]) for each run of rows sharing `field` (the files keep groups together)."""
    current, members = None, []
    for row, record in rows:
        gid = need(record, field, row)
        if members and gid != current:
            yield current, members
            members = []
        current = gid
        members.append((row, record))
    if members:
        yield current, members


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def order_without_gold(members: list[tuple[int, dict]], text_field: str) -> list[tuple[str, int, dict]]:
    """A group's rows in an order fixed by their text (not by file order, which puts true answers first),
    with a short id suffix from the same digest."""
    keyed = sorted(((text_digest(str(need(rec, text_field, row))), row, rec) for row, rec in members),
                   key=lambda t: (t[0], t[1]))
    out, used = [], set()
    for digest, row, rec in keyed:
        suffix, n = digest[:8], 1
        while suffix in used:
            n += 1
            suffix = f"{digest[:8]}-{n}"
        used.add(suffix)
        out.append((suffix, row, rec))
    return out


def split_groups(group_ids: list, seed: int = SEED, train_share: float = 0.5) -> dict:
    """Seeded split by group: the first ceil(share * n) of a seeded shuffle of the sorted ids are train."""
    ids = sorted(set(group_ids), key=lambda g: (str(type(g)), g))
    random.Random(seed).shuffle(ids)
    n_train = math.ceil(len(ids) * train_share)
    return {g: ("train" if i < n_train else "test") for i, g in enumerate(ids)}

