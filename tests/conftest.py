"""Shared fixtures. Tests run on PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (CI), and on
the embedded defaults otherwise."""
import os
from pathlib import Path

import pytest

from tests.support.workers import import_worker, start_worker  # noqa: F401  (fixtures for every area: importing registers them)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ARTIFACTS = REPO_ROOT / "test-artifacts"


def pytest_configure(config):
    """The processes tests start (Celery workers, manage.py, scripts) are not pytest, so the settings give them
    no test key: they get this run's key explicitly, as SECRET_KEY, like any deployment."""
    from django.conf import settings

    os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)
    # One torch thread, here and in every process the tests start (workers inherit the environment): a test's
    # model always shares the 2 CI cores with something (this process polling, PostgreSQL, the live server,
    # Chromium), and two OpenMP threads then wait on each other far more than they compute (README: 8x slower).
    # Set these yourself to override.
    os.environ.setdefault("ICM_TORCH_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are created and log in all over the suite (in this process: the test client, live_server); the
    production hasher's deliberate slowness (PBKDF2, 10^6 rounds: ~0.25 s of CPU per create_user or login)
    only costs test time. Processes a test starts (runserver, workers) keep the production hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def bundled_backend():
    """The bundled SmolLM2 through the engine's hf backend on the CPU, loaded once for the tests that score with
    it in this process (a load costs seconds; the backend keeps no state between calls)."""
    from elicitation import load_backend

    return load_backend("smollm2", kind="hf", device="cpu")


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests save screenshots and other artifacts (git-ignored; CI keeps it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user("boss", password="boss-pass-123", is_staff=True, is_superuser=True)


def chromium_path() -> str | None:
    path = "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    if os.environ.get("STUDIO_REQUIRE_BROWSER"):
        raise RuntimeError("STUDIO_REQUIRE_BROWSER is set but /usr/bin/chromium is missing (apt-get install chromium).")
    return None


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (playwright's own browser downloads are not available here)."""
    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are
    # still synchronous and safe, so tell Django not to refuse them (for the browser tests only).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
