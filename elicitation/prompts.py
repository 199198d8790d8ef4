"""How prompts are built from demonstrations, as in the official code: each demonstration is the example's
prompt followed by its label word, demonstrations are separated by a blank line, and the query prompt comes
last, ending where the model's next token is read.

Trailing whitespace: the official templates end with "I think this claim is " (a trailing space) and append
"True"/"False" without one. Our label words carry the space (" True"), which is how BPE tokenizers see the
word after "is". So when a label word begins with whitespace, trailing spaces and tabs are stripped from the
prompt: the demonstration reads "... is True" (not "... is  True"), and the query ends at "... is", so the
next-token distribution is read where " True" / " False" are single tokens. Label words without leading
whitespace leave the prompt untouched.
"""
from __future__ import annotations

from typing import Sequence

SEPARATOR = "\n\n"


class PromptBuilder:
    def __init__(self, prompts: Sequence[str], label_words: tuple[str, str]):
        self.label_words = tuple(label_words)
        strip = self.label_words[0][:1].isspace() or self.label_words[1][:1].isspace()
        self.queries = [p.rstrip(" \t") if strip else p for p in prompts]

    def demonstration(self, index: int, label: bool) -> str:
        return self.queries[index] + (self.label_words[0] if label else self.label_words[1])

    def prompt(self, demos: Sequence[tuple[int, bool]], query: int) -> str:
        """Demonstrations (index, label) in the given order, then the query example."""
        parts = [self.demonstration(i, y) for i, y in demos]
        parts.append(self.queries[query])
        return SEPARATOR.join(parts)
