"""The many-shot prompts of an evaluation, and how many demonstrations fit the model's context."""
from __future__ import annotations

from .errors import EvaluationRefused


class ManyShotPrompts:
    """The engine's prompt format (elicitation.prompts.PromptBuilder: demonstrations = prompt + label word,
    a blank line between them, the query last), over the examples an evaluation uses."""

    def __init__(self, prompts_by_id: dict[int, str], label_words: tuple[str, str]):
        from studio.services.engine_port.work import PromptBuilder

        self.ids = list(prompts_by_id)
        self.index = {ex_id: k for k, ex_id in enumerate(self.ids)}
        self.builder = PromptBuilder([prompts_by_id[i] for i in self.ids], label_words)

    def demonstration(self, ex_id: int, label: bool) -> str:
        return self.builder.demonstration(self.index[ex_id], label)

    def prompt(self, demos: list[tuple[int, bool]], query_id: int) -> str:
        return self.builder.prompt([(self.index[i], lab) for i, lab in demos], self.index[query_id])


def fit_to_context(conditions: list[dict], test_ids: list[int], prompts: ManyShotPrompts, count_tokens,
                   max_tokens: int | None) -> int:
    """How many demonstrations every condition may keep so that its longest prompt fits the model's
    context (the same number for all, so conditions differ in labels, not in how many shots they get)."""
    most = max((len(c["demos"]) for c in conditions), default=0)
    if not max_tokens:  # the backend cannot tell its context: keep them all
        return most
    longest_query = max(count_tokens(prompts.prompt([], i)) or 0 for i in test_ids)
    if longest_query + 1 > max_tokens:
        raise EvaluationRefused(f"a test prompt has {longest_query} tokens; the model's context holds {max_tokens}")
    sep = count_tokens("\n\n") or 1
    allowed = most
    for c in conditions:
        total, fit = longest_query + 1, 0
        for ex_id, label in c["demos"][:allowed]:
            total += (count_tokens(prompts.demonstration(ex_id, label)) or 0) + sep
            if total > max_tokens:
                break
            fit += 1
        if c["demos"]:
            allowed = min(allowed, fit)
    return allowed
