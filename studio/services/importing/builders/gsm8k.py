"""`gsm8k-verification`: candidate solutions (`cot`) to GSM8K test problems, four per problem.

The key is the final answer read from the solution text (answers.py). The file's `answer` field is the
text after the solution's last "The answer is"; the key agrees with it after normalization except where
that text carries more than a number. `ref_cot`/`ref_answer` (the reference solution), `difficulty`,
`category` and `label` are not imported as fields: they give the answer away.

With keys="official" the key is the stated answer as written, like the official code's `answer` key. The
file's gold labels look string-matched against the reference answer ("$27" is graded wrong where "27" is
right), so the normalized keys disagree with gold on some same-number solutions; see studio/presets/README.md.
"""
from collections.abc import Iterator
from pathlib import Path

from ..rows import ExampleRow
from .answers import final_answer, stated_answer
from .common import contiguous_groups, gold, need, order_without_gold, read_json_array, split_groups

FILE = "icm-wen2025/test_gsm8k.json"


def build(data_dir: Path, keys: str | None) -> Iterator[ExampleRow]:
    problems = list(contiguous_groups(read_json_array(data_dir / FILE)))
    split_of = split_groups([cid for cid, _ in problems])
    for cid, members in problems:
        split = split_of[cid]
        group = f"problem-{cid}"
        for suffix, row, rec in order_without_gold(members, "cot"):
            solution = need(rec, "cot", row)
            yield ExampleRow(
                external_id=f"{group}-{suffix}",
                fields={"question": need(rec, "question", row), "cot": solution},
                split=split,
                group=group,
                key=stated_answer(solution) if keys == "official" else final_answer(solution),
                gold=gold(rec, row),
                row=row,
            )
