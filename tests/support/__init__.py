"""Helpers shared by several test packages: SST-2 sentences and real Celery workers (both from benchmarks/_support,
which the benchmarks import without pytest), the fixtures that start workers, a small SST-2 dataset."""
