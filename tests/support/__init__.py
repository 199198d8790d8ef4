"""Helpers shared by several test packages (and the benchmarks): SST-2 sentences, real Celery workers."""
