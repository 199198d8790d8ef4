"""The foundation: migrations apply and match the models, production settings pass `check --deploy`,
and settings errors name the variable."""
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import REPO_ROOT


def _manage(*args, env_overrides: dict, unset=()):
    # A clean production-like environment: nothing the test process itself set up (pytest's marker, the
    # browser tests' async-safety switch) leaks into it.
    dropped = {"PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE", *unset}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.django_db
def test_migrations_applied_and_models_have_no_pending_changes():
    # The test database was built by running every migration on the configured engine (PostgreSQL in CI).
    tables = set(connection.introspection.table_names())
    for table in ["studio_dataset", "studio_example", "studio_goldlabel", "studio_humanlabel",
                  "studio_elicitationrun", "studio_elicitedlabel", "studio_runevent"]:
        assert table in tables
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_check_deploy_passes_under_production_settings():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_overrides={
            "DEBUG": "0",
            "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "studio.example.org",
            "SECURE_SSL_REDIRECT": "1",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icm_studio"),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_without_debug_is_refused_with_a_clear_message():
    result = _manage("check", env_overrides={"DEBUG": "0"}, unset=("SECRET_KEY",))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_boolean_setting_names_the_variable():
    result = _manage("check", env_overrides={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


@pytest.mark.django_db
def test_home_page_serves(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"ICM Studio" in response.content
