"""The foundation: migrations apply and match the models, production settings pass `check --deploy`,
and settings errors name the variable."""
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import REPO_ROOT
from tests.runs.test_compose import docker_compose, services  # noqa: F401  (fixtures: the parsed compose file)


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


def test_check_deploy_passes_under_the_compose_files_production_settings(services):
    """The web service's environment exactly as `docker compose config` resolves docker/compose.yml (with only
    the two required secrets given), every variable the test process had set removed."""
    environment = services["web"]["environment"]
    assert environment.get("DEBUG", "0") in ("0", "") and "SECRET_KEY" in environment
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=environment,
                     unset=("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECURE_SSL_REDIRECT",
                            "TRUST_X_FORWARDED_PROTO", "ALLOWED_HOSTS"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_compose_file_publishes_gunicorn_on_loopback_only(services):
    assert [(p["host_ip"], p["target"]) for p in services["web"]["ports"]] == [("127.0.0.1", 8000)]


def _proxy_header(**env) -> str:
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)",
                     env_overrides={"DEBUG": "0", "SECRET_KEY": "k" * 60, **env},
                     unset=("TRUST_X_FORWARDED_PROTO",))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after shell's "objects imported automatically" line


def test_the_forwarded_proto_header_is_believed_only_when_asked():
    assert _proxy_header() == "None"
    assert _proxy_header(TRUST_X_FORWARDED_PROTO="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_missing_secret_key_without_debug_is_refused_with_a_clear_message():
    result = _manage("check", env_overrides={"DEBUG": "0", "STUDIO_VAR_DIR": "/nonexistent-var"},
                     unset=("SECRET_KEY",))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_pytests_marker_alone_gives_no_key():
    """PYTEST_VERSION in a process that is not pytest (a server started from a test shell) is no test run."""
    result = _manage("check", env_overrides={"DEBUG": "0", "PYTEST_VERSION": "8.3.0",
                                             "STUDIO_VAR_DIR": "/nonexistent-var"}, unset=("SECRET_KEY",))
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
