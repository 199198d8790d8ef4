"""ICM runs: starting and cancelling them (admin, studio pages, API) and running them (Celery workers).

Public names (see docs/CONTRACTS.md): RunRefused, start_run, preview_run, estimate_run, RunNeedsConfirmation,
cancel_run, run_examples; and for the worker and
the live page: execute_batch, mark_failed, live_snapshot.
"""
from .errors import RunRefused
from .execution import Outcome, execute_batch, mark_failed
from .progress import live_snapshot
from .estimates import Estimate, estimate_run
from .preview import RunPreview, preview_run
from .starting import RunNeedsConfirmation, cancel_run, start_run
from .subsets import run_examples

__all__ = ["Estimate", "Outcome", "RunNeedsConfirmation", "RunPreview", "RunRefused", "cancel_run", "estimate_run",
           "execute_batch", "live_snapshot", "mark_failed", "preview_run", "run_examples", "start_run"]
