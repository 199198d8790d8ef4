"""`truthfulqa`: the ICM paper's TruthfulQA claims (train 2,608 + test 1,000), grouped by question."""
from collections.abc import Iterator
from pathlib import Path

from ..rows import ExampleRow
from .common import contiguous_groups, gold, need, order_without_gold, read_json_array

FILES = (("train", "icm-wen2025/train_truthfulqa.json"), ("test", "icm-wen2025/test_truthfulqa.json"))


def build(data_dir: Path, keys: str | None) -> Iterator[ExampleRow]:
    for split, name in FILES:
        for cid, members in contiguous_groups(read_json_array(data_dir / name)):
            group = f"{split}-q{cid}"
            for suffix, row, rec in order_without_gold(members, "choice"):
                label = gold(rec, row)
                yield ExampleRow(
                    external_id=f"{group}-{suffix}",
                    fields={"question": need(rec, "question", row), "choice": need(rec, "choice", row)},
                    split=split,
                    group=group,
                    # The official code's keys are the gold labels themselves: only on request, and the
                    # dataset is then flagged gold_derived_metadata.
                    key=("A" if label else "B") if keys == "official" else "",
                    gold=label,
                    row=row,
                )
