"""Benchmark scripts (each runs as `python benchmarks/<name>.py`; see benchmarks/README.md) and their helpers in
benchmarks/_support/. A package so that `celery -A benchmarks.standin_worker` and tests can import the helpers."""
