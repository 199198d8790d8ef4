"""Helpers the benchmark scripts share, importable after `make install` alone (no pytest, nothing from tests/);
tests/support re-exports the ones tests use too."""
