"""Celery tasks, thin wrappers over services. Elicitation and evaluation go to the `gpu` queue.

Celery's autodiscovery imports only this package, so every task module in it is imported here.
"""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
