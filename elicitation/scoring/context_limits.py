"""Context-window checks shared by the fast scorers, and the seeded demonstration subsets of --max-demos."""
from __future__ import annotations

import hashlib

from ..errors import ContextLengthError


class ContextTooLong(ContextLengthError):
    """A prompt a fast scorer would build does not fit the model's context window."""


def priority(seed: int, salt: str, item: int) -> int:
    """A stable pseudo-random rank (same on every machine and Python process)."""
    digest = hashlib.blake2b(f"{seed}:{salt}:{item}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def demo_subset(candidates, k: int | None, seed: int, salt: str) -> set:
    """The fixed seeded subset of at most k demonstrations for one query (or one fold's context).

    An item's rank depends only on (seed, salt, item), so the subset changes only when an item that ranks in
    the top k joins or leaves the candidates — not when other labels change.
    """
    candidates = list(candidates)
    if k is None or len(candidates) <= k:
        return set(candidates)
    return set(sorted(candidates, key=lambda i: priority(seed, salt, i))[:k])


def check_fits(needed: int, window: int, what: str, *, max_demos: int | None) -> None:
    if window and needed > window:
        hint = (
            f"--max-demos {max_demos} still does not fit; use a smaller --max-demos"
            if max_demos is not None
            else "use --max-demos K to give each query a fixed seeded subset of K demonstrations, or fewer examples"
        )
        raise ContextTooLong(
            f"{what} needs {needed} tokens but the model's context window is {window} tokens; {hint}"
        )
