"""Celery tasks, thin wrappers over services. Elicitation and evaluation go to the `gpu` queue."""
