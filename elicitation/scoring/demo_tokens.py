"""Token pieces of demonstrations and queries for the fast scorers.

Each piece (shared preamble, an example's prompt, a label word, the separator) is tokenized on its own and
the pieces are concatenated as token ids. That keeps token boundaries at piece boundaries, so a context can
be cut at any demonstration (or at a label) and its cached prefix reused exactly.
"""
from __future__ import annotations

from dataclasses import dataclass


def label_variant_ids(tokenizer, word: str) -> tuple[int, ...]:
    """Single-token spellings of a label word (leading space or not, capitalized or not)."""
    base = word.strip()
    ids = []
    for text in {base, " " + base, base.lower(), " " + base.lower(), base.capitalize(), " " + base.capitalize()}:
        toks = tokenizer(text, add_special_tokens=False).input_ids
        if len(toks) == 1 and toks[0] not in ids:
            ids.append(toks[0])
    if not ids:
        raise ValueError(f"label word {word!r} is not a single token in any spelling for this tokenizer")
    return tuple(sorted(ids))


def separator_in_context(tokenizer, separator: str, next_text: str) -> tuple[int, ...]:
    """The separator's tokens as a whole-string tokenization produces them before the next prompt.

    BPE pre-tokenizers split whitespace differently before a word ("\n\n" alone is one token, but
    "\n\nReview" gives "\n" + "\n" + "Review"), so the separator is tokenized in front of real text.
    """
    if not separator:
        return ()
    alone = tuple(tokenizer(separator, add_special_tokens=False).input_ids)
    if not next_text:
        return alone
    nxt = tokenizer(next_text, add_special_tokens=False).input_ids
    both = tokenizer(separator + next_text, add_special_tokens=False).input_ids
    if len(both) > len(nxt) and both[len(both) - len(nxt):] == nxt:
        return tuple(both[: len(both) - len(nxt)])
    return alone


@dataclass(frozen=True)
class PromptTokens:
    prompts: tuple[tuple[int, ...], ...]
    label_tokens: dict  # bool -> tuple[int, ...]: what a demonstration appends after its prompt
    separator: tuple[int, ...]
    true_ids: tuple[int, ...]  # next-token ids read as "True" (variants summed)
    false_ids: tuple[int, ...]
    preamble: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.prompts)

    def demo(self, i: int, label: bool) -> tuple[int, ...]:
        return self.prompts[i] + self.label_tokens[bool(label)] + self.separator

    def query(self, i: int) -> tuple[int, ...]:
        return self.prompts[i]

    def longest_demo(self, i: int) -> int:
        return len(self.prompts[i]) + max(len(t) for t in self.label_tokens.values()) + len(self.separator)

    @classmethod
    def from_texts(
        cls,
        tokenizer,
        prompts: list[str],
        *,
        true_word: str = " True",
        false_word: str = " False",
        separator: str = "\n\n",
        preamble: str = "",
        true_ids: tuple[int, ...] | None = None,
        false_ids: tuple[int, ...] | None = None,
        preamble_ids: tuple[int, ...] | None = None,
    ) -> "PromptTokens":
        def enc(text: str) -> tuple[int, ...]:
            return tuple(tokenizer(text, add_special_tokens=False).input_ids) if text else ()

        encoded = tuple(enc(p) for p in prompts)
        return cls(
            prompts=encoded,
            label_tokens={True: enc(true_word), False: enc(false_word)},
            separator=separator_in_context(tokenizer, separator, prompts[0] if prompts else ""),
            true_ids=tuple(true_ids) if true_ids else label_variant_ids(tokenizer, true_word),
            false_ids=tuple(false_ids) if false_ids else label_variant_ids(tokenizer, false_word),
            preamble=tuple(preamble_ids) if preamble_ids is not None else enc(preamble),
        )


def special_prefix(tokenizer) -> tuple[int, ...]:
    """Tokens a tokenizer puts before any text (a BOS token for Llama 3; nothing for SmolLM2)."""
    with_special = tokenizer("a")["input_ids"]
    without = tokenizer("a", add_special_tokens=False)["input_ids"]
    if len(with_special) >= len(without) and with_special[len(with_special) - len(without):] == without:
        return tuple(with_special[: len(with_special) - len(without)])
    return ()
