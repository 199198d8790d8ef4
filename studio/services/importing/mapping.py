"""Field mappings for a user's own file: which column is the id, the gold label, the group... and which
columns become the example's fields (what annotators and the prompt see).

Written `id=col,text=col,label=col,group=col,key=col,split=col,human_label=col`; every name that is not
one of the reserved ones is a content field (`text=review` puts column `review` into fields["text"]).
Columns not named in the mapping are not imported at all.
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .errors import ImportFailed
from .rows import ExampleRow
from .values import parse_bool, parse_votes, to_text

RESERVED = ("id", "label", "group", "key", "split", "human_label")
MAX_ID, MAX_GROUP, MAX_SPLIT = 200, 200, 20


@dataclass
class FieldMapping:
    fields: dict[str, str] = field(default_factory=dict)  # field name -> column
    id: str | None = None
    label: str | None = None
    group: str | None = None
    key: str | None = None
    split: str | None = None
    human_label: str | None = None

    def columns(self) -> list[str]:
        named = [getattr(self, r) for r in RESERVED]
        return [c for c in named if c] + list(self.fields.values())


def parse_mapping(spec) -> FieldMapping:
    """From a dict, from "a=b,c=d" text, or from several such texts (one --map flag each)."""
    if isinstance(spec, FieldMapping):
        return spec
    pairs: list[tuple[str, str]] = []
    if isinstance(spec, dict):
        pairs = [(str(k).strip(), str(v).strip() if v is not None else "") for k, v in spec.items()]
    else:
        texts = [spec] if isinstance(spec, str) else list(spec or [])
        for text in texts:
            for item in _split_items(text):
                if "=" not in item:
                    raise ImportFailed(f"mapping item {item!r} is not name=column", field="mapping")
                name, column = item.split("=", 1)
                pairs.append((name.strip(), column.strip()))
    mapping = FieldMapping()
    seen = set()
    for name, column in pairs:
        if not column:
            if name in RESERVED:
                continue  # an empty optional slot (the admin form sends them)
            raise ImportFailed(f"no column given for {name!r}", field="mapping")
        if name in seen:
            raise ImportFailed(f"{name!r} is mapped twice", field="mapping")
        seen.add(name)
        if name in RESERVED:
            setattr(mapping, name, column)
        elif name.isidentifier():
            mapping.fields[name] = column
        else:
            raise ImportFailed(
                f"field name {name!r} must be a plain identifier (letters, digits, _) so the prompt template can use it",
                field="mapping",
            )
    if not mapping.fields:
        raise ImportFailed(
            "map at least one content field, e.g. text=<column> (reserved names: " + ", ".join(RESERVED) + ")",
            field="mapping",
        )
    if mapping.label:
        others = {n: c for n, c in [*((r, getattr(mapping, r)) for r in RESERVED if r != "label"),
                                    *mapping.fields.items()] if c == mapping.label}
        if others:
            name = next(iter(others))
            raise ImportFailed(
                f"column {mapping.label!r} is the gold label; it cannot also be {name!r} "
                "(gold never goes into an example's fields or consistency metadata)",
                field=name,
            )
    return mapping


def _split_items(text: str) -> Iterator[str]:
    for part in text.replace("\n", ",").split(","):
        if part.strip():
            yield part.strip()


def _get(record: dict, column: str, row: int, line: int):
    if column not in record:
        raise ImportFailed(
            f"missing required field (the mapping names column {column!r}; this row has "
            f"{', '.join(map(repr, list(record)[:8])) or 'no columns'})",
            row=row, field=column, line=line,
        )
    return record[column]


def mapped_rows(records: Iterable[tuple[int, int, dict]], mapping: FieldMapping, *, default_split: str
                ) -> Iterator[ExampleRow]:
    """Apply the mapping to each record, checking every value on the way."""
    for row, line, record in records:
        fields = {}
        for name, column in mapping.fields.items():
            value = _get(record, column, row, line)
            if value is None:
                raise ImportFailed("expected a value, got null", row=row, field=column, line=line)
            fields[name] = value
        external_id = (
            to_text(_get(record, mapping.id, row, line), row=row, field=mapping.id, max_length=MAX_ID, line=line,
                    required=True)
            if mapping.id else str(row)
        )
        split = default_split
        if mapping.split:
            split = to_text(_get(record, mapping.split, row, line), row=row, field=mapping.split,
                            max_length=MAX_SPLIT, line=line, required=True)
        group = key = ""
        if mapping.group:
            group = to_text(_get(record, mapping.group, row, line), row=row, field=mapping.group,
                            max_length=MAX_GROUP, line=line)
        if mapping.key:
            key = to_text(_get(record, mapping.key, row, line), row=row, field=mapping.key, max_length=MAX_GROUP,
                          line=line)
        gold = None
        if mapping.label:
            gold = parse_bool(_get(record, mapping.label, row, line), row=row, field=mapping.label, line=line)
        votes = []
        if mapping.human_label:
            raw = parse_votes(_get(record, mapping.human_label, row, line), row=row, field=mapping.human_label,
                              line=line)
            votes = [(position, vote) for position, vote in enumerate(raw, 1) if vote is not None]
        yield ExampleRow(external_id=external_id, fields=fields, split=split, group=group, key=key, gold=gold,
                         crowd_votes=votes, row=row, line=line)
