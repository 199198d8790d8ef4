"""Errors the runs service raises to its callers (admin, studio pages, API)."""
from studio.services.refusals import Refusal


class RunRefused(Refusal, ValueError):
    """A run was not started or changed; the message says why (duplicate active run, a bad value naming its field)."""
