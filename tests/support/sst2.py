"""The SST-2 reader lives with the benchmarks (which must not import tests/); re-exported here for the tests."""
from benchmarks._support.sst2 import (  # noqa: F401
    DEV_TSV,
    TEMPLATE,
    accuracy,
    balanced,
    problem,
    rows,
    short_positives_then_negatives,
    shortest,
)
