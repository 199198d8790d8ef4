"""`blog-gender`: pairs of blog posts, one by a man and one by a woman, and the claim "Post A is more
likely written by a man than Post B" — the paper's "superhuman" study.

Pairing: women's and men's posts each sorted by sample_id, the men's list shuffled with a fixed seed, the
i-th woman's post paired with the i-th man's: 2,500 pairs, every post in exactly one. Each pair gives
both orders (A,B) and (B,A), so exactly one of the two claims is true. Splits: pairs, seeded 50/50.
The orientation key comes from the text ("A>B" for the order whose Post A sorts first), never from gender.
One post (line 4403) ends in 7,919 NUL characters in the corpus itself (a truncated file); NULs are
dropped, since PostgreSQL text cannot hold them. HTML entities (&nbsp; in 614 posts) are decoded when the
rows are written, the original kept (importing/text.py); the preset's max_chars cuts posts in prompts.
"""
import random
from collections.abc import Iterator
from pathlib import Path

from ..errors import ImportFailed
from ..rows import ExampleRow
from .common import SEED, need, read_jsonl, split_groups

FILE = "blog-authorship-gender/blog_gender_balanced_5000.jsonl"


def _clean(text: str) -> str:
    return text.replace("\x00", "").rstrip() if "\x00" in text else text


def pair_posts(posts: list[dict], seed: int = SEED) -> list[tuple[dict, dict]]:
    """(woman's post, man's post) pairs; refuses unequal numbers so no post is left out or reused."""
    women = sorted((p for p in posts if p["gender"] == "female"), key=lambda p: p["sample_id"])
    men = sorted((p for p in posts if p["gender"] == "male"), key=lambda p: p["sample_id"])
    if len(women) != len(men) or len(women) + len(men) != len(posts):
        raise ImportFailed(f"expected as many posts by women as by men and no other gender, got {len(women)} "
                           f"female, {len(men)} male of {len(posts)}", field="gender")
    random.Random(seed).shuffle(men)
    return list(zip(women, men))


def build(data_dir: Path, keys: str | None) -> Iterator[ExampleRow]:
    posts = []
    for row, rec in read_jsonl(data_dir / FILE):
        gender = need(rec, "gender", row)
        if gender not in ("female", "male"):
            raise ImportFailed(f"expected 'female' or 'male', got {gender!r}", row=row, field="gender")
        posts.append({"row": row, "sample_id": need(rec, "sample_id", row), "gender": gender,
                      "text": _clean(need(rec, "text", row))})
    pairs = pair_posts(posts)
    split_of = split_groups(list(range(len(pairs))))
    for i, (woman, man) in enumerate(pairs):
        group = f"pair-{i:04d}"
        first, second = sorted((woman, man), key=lambda p: (p["text"], p["sample_id"]))
        for a, b, suffix, key in ((first, second, "ab", "A>B"), (second, first, "ba", "B>A")):
            yield ExampleRow(
                external_id=f"{group}-{suffix}",
                fields={"post_a": a["text"], "post_b": b["text"],
                        "post_a_id": a["sample_id"], "post_b_id": b["sample_id"]},
                split=split_of[i],
                group=group,
                key=key,
                gold=a["gender"] == "male",
                row=a["row"],
            )
