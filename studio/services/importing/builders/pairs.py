"""Pairwise presets whose source rows come in (A vs B, B vs A) pairs: `truthfulqa-preference`, `alpaca`.

The consistency key says which orientation a row is, read from the text only: the row whose `choice`
sorts first is "A>B", its swapped twin "B>A". (The official code sets 'A>B' if label else 'B>A', which is
the gold label.)
"""
from collections.abc import Iterator
from pathlib import Path

from ..errors import ImportFailed
from ..rows import ExampleRow
from ..values import parse_bool
from .common import contiguous_groups, gold, need, read_json_array, split_groups

PREFERENCE_FILES = (("train", "icm-wen2025/train_truthfulqa_preference.json"),
                    ("test", "icm-wen2025/test_truthfulqa_preference.json"))
ALPACA_FILE = "icm-wen2025/test_alpaca.json"
FIELDS = ("question", "choice", "choice_2")


def _pair_rows(split: str, cid, members, *, crowd: bool) -> Iterator[ExampleRow]:
    if len(members) != 2:
        raise ImportFailed(f"expected a pair of rows with consistency_id {cid}, got {len(members)}",
                           row=members[0][0], field="consistency_id")
    (row1, first), (row2, second) = members
    swapped = (need(first, "choice", row1) == need(second, "choice_2", row2)
               and need(first, "choice_2", row1) == need(second, "choice", row2)
               and need(first, "question", row1) == need(second, "question", row2))
    if not swapped or gold(first, row1) == gold(second, row2):
        raise ImportFailed("expected the pair's second row to be the first with the answers swapped and the "
                           "label negated", row=row2)
    votes = []
    if crowd:
        raw = need(first, "candidate_label", row1)
        if not isinstance(raw, list) or not raw:
            raise ImportFailed("expected a list of crowd votes", row=row1, field="candidate_label")
        votes = [(pos, parse_bool(v, row=row1, field="candidate_label")) for pos, v in enumerate(raw, 1)]
        if any(v is None for _, v in votes):
            raise ImportFailed("expected every crowd vote to be a boolean", row=row1, field="candidate_label")
    group = f"{split}-p{cid}"
    a_first = first["choice"] <= first["choice_2"]
    ordered = [(row1, first, votes), (row2, second, [(p, not v) for p, v in votes])]
    if not a_first:
        ordered.reverse()
    for (row, rec, row_votes), suffix, key in zip(ordered, ("ab", "ba"), ("A>B", "B>A")):
        yield ExampleRow(
            external_id=f"{group}-{suffix}",
            fields={f: need(rec, f, row) for f in FIELDS},
            split=split,
            group=group,
            key=key,
            gold=gold(rec, row),
            crowd_votes=row_votes,
            row=row,
        )


def build_preference(data_dir: Path, keys: str | None) -> Iterator[ExampleRow]:
    for split, name in PREFERENCE_FILES:
        for cid, members in contiguous_groups(read_json_array(data_dir / name)):
            yield from _pair_rows(split, cid, members, crowd=False)


def build_alpaca(data_dir: Path, keys: str | None) -> Iterator[ExampleRow]:
    """The file is the paper's test file; the studio splits its pairs 50/50 (seeded) into train and test.
    The crowd votes ("choice is better") sit on the first row of each pair; the swapped row gets them negated."""
    pairs = list(contiguous_groups(read_json_array(data_dir / ALPACA_FILE)))
    split_of = split_groups([cid for cid, _ in pairs])
    for cid, members in pairs:
        yield from _pair_rows(split_of[cid], cid, members, crowd=True)
