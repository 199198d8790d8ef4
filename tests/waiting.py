"""Polling helper for tests that wait on another process (a Celery worker, a server)."""
import time


def wait_for(predicate, timeout: float, what: str, interval: float = 0.3):
    """Return predicate()'s first truthy value, or fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
