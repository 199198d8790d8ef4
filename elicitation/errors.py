"""Errors the engine raises on bad input. All are ValueErrors, so callers can catch one type."""
from __future__ import annotations


class ElicitationError(ValueError):
    """Bad input or configuration for the engine; the message names what is wrong."""


class InputError(ElicitationError):
    """A problem, an input file or a checkpoint that the engine cannot use."""


class ContextLengthError(ElicitationError):
    """A prompt the search would build does not fit the model's context window."""


class ScoringInterrupted(Exception):
    """A backend's `interrupt` check returned true between two of a batch's model calls: the batch is abandoned
    (nothing of it returned), so a stop asked for mid-call takes effect within one model call, not one batch."""

    def __init__(self, tokens: int = 0):
        super().__init__(f"scoring interrupted after {tokens} model tokens")
        self.tokens = tokens  # what the abandoned batch's finished model calls processed: spent, so counted


class BackendError(RuntimeError):
    """A backend could not score (server unreachable, malformed reply, model not loadable)."""
