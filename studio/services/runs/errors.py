"""Errors the runs service raises to its callers (admin, studio pages, API)."""


class RunRefused(ValueError):
    """A run was not started or changed; the message says why (duplicate active run, a bad value naming its field)."""
