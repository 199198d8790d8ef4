"""Each command in the README's `sh` blocks, as written: the `manage.py` ones run in a child process the way a
person runs them by hand in the demo's folder (no SECRET_KEY in the environment, DEBUG off: the studio reads the
key `make demo` wrote into var/secret_key), against a fresh SQLite database made by `migrate` as the demo does.
The others are listed with the reason they are not run here (long-running, a server, docker, your own files);
a README command that is neither run nor listed fails the test, so a new one cannot slip past."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from studio.management.commands.evaluate import _dataset
from studio.models import Dataset

ROOT = Path(__file__).resolve().parents[2]

NOT_RUN = {  # command prefix -> why this test does not run it
    "make demo": "starts the web server and a worker until Ctrl-C",
    "make test": "the whole suite (this test is part of it)",
    ".venv/bin/python manage.py evaluate": "scores the bundled model on 200 test items (many minutes on a CPU); "
                                           "its dataset argument (a preset's name) is checked in-process below",
    ".venv/bin/python -m elicitation": "needs your examples.jsonl and runs the model; tests/engine cover the CLI",
    ".venv/bin/python benchmarks/": "benchmarks take minutes; each one's --smoke runs in the benchmark tests",
    "ICM_TORCH_THREADS=2 .venv/bin/python benchmarks/": "a benchmark (minutes)",
    "curl ": "needs a running studio and a token",
    "docker ": "needs docker",
    "cp docker/": "docker's setup",
}


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


MY_JSONL = ('{"uid": "a1", "claim": "Water boils at 100 C at sea level.", "gold": true, "topic": "water"}\n'
            '{"uid": "a2", "claim": "Water boils at 50 C at sea level.", "gold": false, "topic": "water"}\n')


def _run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_each_readme_manage_py_command_runs_as_written(tmp_path):
    commands = readme_commands()
    assert commands, "the README has no sh blocks"
    manage = [c for c in commands if c.startswith(".venv/bin/python manage.py")
              and not any(c.startswith(p) for p in NOT_RUN)]
    unlisted = [c for c in commands if c not in manage and not any(c.startswith(p) for p in NOT_RUN)]
    assert not unlisted, f"README commands neither run nor listed with a reason: {unlisted}"
    assert len(manage) >= 3, manage

    # The demo's folder: manage.py and .venv where the README runs them, the key `make demo` writes, the demo's
    # database, and the file the README's own import example names.
    (tmp_path / "manage.py").symlink_to(ROOT / "manage.py")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    var = tmp_path / "var"
    var.mkdir()
    (var / "secret_key").write_text("a-random-key-as-make-demo-writes-" + os.urandom(16).hex() + "\n")
    (tmp_path / "my.jsonl").write_text(MY_JSONL, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'studio.sqlite3'}", STUDIO_VAR_DIR=str(var),
               PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", DJANGO_SETTINGS_MODULE="studio.settings")
    migrated = _run([sys.executable, "manage.py", "migrate", "-v", "0"], tmp_path, env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    for command in manage:
        args = shlex.split(command, comments=True)
        result = _run(args, tmp_path, env)
        assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, f"{command}\n{result.stderr[-3000:]}"


@pytest.mark.django_db
def test_evaluate_takes_a_presets_name_as_the_readme_writes_it():
    ds = Dataset.objects.create(name="SST-2 sentiment", slug="sst-2-sentiment", preset="sst2")
    assert _dataset("sst2") == ds == _dataset("sst-2-sentiment") == _dataset(str(ds.pk))
