"""The examples to label and how their consistency metadata is read."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Sequence

from .errors import InputError

CONSISTENCY_MODES = ("none", "keys", "comparison")


@dataclass(frozen=True)
class Example:
    """One example: a rendered prompt (ending where the label word goes) and optional consistency metadata.

    `group` puts examples in a consistency group (rules only apply inside a group; sampling prefers unlabeled
    members of groups that already have a labeled member). `key` is what the rules compare (see consistency.py).
    """

    id: str | int
    prompt: str
    group: str | None = None
    key: str | None = None


@dataclass
class Problem:
    """Examples plus the consistency mode: "none", "keys" (same key ⇒ same label, different keys ⇒ not both
    true) or "comparison" (same key ⇒ same label, different keys ⇒ exactly one true, e.g. "A>B" / "B>A")."""

    examples: Sequence[Example]
    consistency: str = "none"
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.examples = list(self.examples)
        if self.consistency not in CONSISTENCY_MODES:
            raise InputError(f"consistency must be one of {', '.join(CONSISTENCY_MODES)}, got {self.consistency!r}")
        if not self.examples:
            raise InputError("a problem needs at least one example")
        index: dict[str, int] = {}
        for position, ex in enumerate(self.examples):
            if not isinstance(ex, Example):
                raise InputError(f"example {position}: expected an Example, got {type(ex).__name__}")
            if isinstance(ex.id, bool) or not isinstance(ex.id, (str, int)):
                raise InputError(f"example {position}: id must be a string or an integer, got {ex.id!r}")
            if not isinstance(ex.prompt, str) or not ex.prompt.strip():
                raise InputError(f"example {ex.id!r}: prompt must be non-empty text")
            for name in ("group", "key"):
                value = getattr(ex, name)
                if value is not None and not isinstance(value, (str, int)):
                    raise InputError(f"example {ex.id!r}: {name} must be text, an integer or None, got {value!r}")
            key = str(ex.id)
            if key in index:
                raise InputError(f"duplicate example id {ex.id!r} (examples {index[key]} and {position})")
            index[key] = position
        self._index = index
        if self.consistency == "comparison":
            keys_by_group: dict[str, set[str]] = {}
            for ex in self.examples:
                if ex.group is not None and ex.key is not None:
                    keys_by_group.setdefault(str(ex.group), set()).add(str(ex.key))
            for group, keys in keys_by_group.items():
                if len(keys) > 2:
                    raise InputError(
                        f"consistency 'comparison': group {group!r} has {len(keys)} distinct keys "
                        f"({', '.join(sorted(keys))}); a comparison group holds one claim and its reverse (two keys)")

    def __len__(self) -> int:
        return len(self.examples)

    def position(self, example_id) -> int:
        try:
            return self._index[str(example_id)]
        except KeyError:
            raise InputError(f"unknown example id {example_id!r}") from None

    def fingerprint(self) -> str:
        """Hash of everything the search reads: ids, prompts, groups, keys, consistency mode."""
        blob = json.dumps([self.consistency] + [[str(e.id), e.prompt, _s(e.group), _s(e.key)] for e in self.examples],
                          ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def group_ids(self) -> list[int]:
        """A dense group number per example; an example without a group is a group of its own. Numbers follow
        first appearance, which also fixes the demonstration order (groups kept together)."""
        numbers: dict[str, int] = {}
        out = []
        for position, ex in enumerate(self.examples):
            name = ("g", str(ex.group)) if ex.group is not None else ("solo", position)
            out.append(numbers.setdefault(json.dumps(name), len(numbers)))
        return out


def _s(value):
    return None if value is None else str(value)
