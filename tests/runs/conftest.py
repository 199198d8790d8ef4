"""Fixtures for the runs tests: a small real dataset (SST-2 dev sentences with gold), and real Celery worker
processes against the test database and Redis (tests/support holds both)."""
import pytest

from tests.support.datasets import make_sst2_dataset


@pytest.fixture
def sst2_dataset(db):
    return make_sst2_dataset()
