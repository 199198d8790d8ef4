"""Every benchmark runs in smoke mode, so that none of them rots between the runs that measure.

A benchmark is a `benchmarks/*.py` file that runs as a script: it has an `if __name__ == "__main__":` block.
Helper modules (benchmarks/__init__.py, standin_worker.py, anything in benchmarks/_support/) have none and are
not run. Each script runs as a user runs it — `python benchmarks/<name>.py --smoke`, in its own process and session,
from the repository root, without PYTHONPATH; forked from its lane's launcher (preloaded.py), which has imported
torch and transformers once for the lane — and must exit 0 with a last line of stdout
`<name> key=value key=value ...` whose values are numbers (the few textual keys in TEXT_KEYS aside). Whether its
targets are met is not checked: smoke sizes measure nothing, and timings stay out of tests.

A script that sets up Django gets this session's PostgreSQL server and Redis database: DATABASE_URL names
`test_<database>_smoke` (each script adds its own suffix and drops what it creates), BENCH_REDIS_URL and REDIS_URL
this session's Redis database, REVIEW_BENCH_DATABASE_URL `test_<database>_smoke_review`; the scripts that make their database with
scratch_database() copy one the lane migrated once (BENCH_TEMPLATE_DATABASE, see MigratedTemplate). Without PostgreSQL and
Redis such a script is skipped, as the worker tests are. Two scripts run at a time (those that name REDIS_URL one
after another, the others beside them with no Redis; see smoke_runs), so that the whole takes about half the sum of
their times on two cores. Each script's wall and CPU seconds (its own and its workers') go to test-artifacts/benchmark-smoke-times.txt.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from benchmarks._support import smoke
from benchmarks._support.scratch_db import TEMPLATE_ENV
from tests.support.workers import require_redis_and_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = REPO_ROOT / "benchmarks"
PRELOADED = Path(__file__).with_name("preloaded.py")
ARTIFACTS = REPO_ROOT / "test-artifacts"
MAIN_BLOCK = re.compile(r"^if __name__ == [\"']__main__[\"']:", re.MULTILINE)
KEY = re.compile(r"[a-z][a-z0-9_]*")
# keys whose value is a word, not a number (a model's or a device's name, a scoring mode)
TEXT_KEYS = {"model", "device", "mode", "scoring", "backend"}
WORD = re.compile(r"[A-Za-z][\w.-]*")
TIMEOUT = 600  # seconds per script; a smoke run takes seconds on a quiet machine



def discover() -> list[Path]:
    return sorted(p for p in BENCH_DIR.glob("*.py") if MAIN_BLOCK.search(p.read_text(encoding="utf-8")))


def parse_last_line(name: str, stdout: str) -> dict[str, str]:
    """The script's last stdout line as {key: value}; AssertionError naming what is wrong."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, f"{name} printed nothing on stdout"
    last = lines[-1].split()
    assert last[0] == name, f"{name}'s last line does not start with {name!r}: {lines[-1]!r}"
    pairs = last[1:]
    assert pairs, f"{name}'s last line has no key=value pairs: {lines[-1]!r}"
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        assert sep and KEY.fullmatch(key) and value, f"{name}: {pair!r} is not key=value ({lines[-1]!r})"
        assert key not in out, f"{name}: {key} appears twice ({lines[-1]!r})"
        if key in TEXT_KEYS:
            assert WORD.fullmatch(value), f"{name}: {key}={value!r} is not a word"
        else:
            try:
                number = float(value)
            except ValueError:
                raise AssertionError(f"{name}: {key}={value!r} is not a number ({lines[-1]!r})") from None
            assert math.isfinite(number), f"{name}: {key}={value} is not a finite number"
        out[key] = value
    return out


def needs_django(script: Path) -> bool:
    return "django.setup()" in script.read_text(encoding="utf-8")


def uses_redis(script: Path) -> bool:
    """Scripts that name REDIS_URL start workers, queue tasks or flush their Redis database."""
    return needs_django(script) and "REDIS_URL" in script.read_text(encoding="utf-8")


def smoke_env(redis: bool = True, var_dir: str | None = None) -> dict[str, str]:
    """The scripts' environment; redis=False: no Redis at all (the embedded broker under var_dir), so nothing such
    a script queues can reach the workers of a script running beside it."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DEBUG", "BENCH_SMOKE", "REDIS_URL", "BENCH_REDIS_URL")}
    env.update({"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "ICM_TORCH_THREADS": "1"})
    if os.environ.get("DATABASE_URL"):
        url = urlsplit(os.environ["DATABASE_URL"])
        base = f"test_{url.path.lstrip('/')}_smoke"
        env["DATABASE_URL"] = url._replace(path=f"/{base}").geturl()
        env["REVIEW_BENCH_DATABASE_URL"] = url._replace(path=f"/{base}_review").geturl()
    if redis and settings.REDIS_URL:
        env["REDIS_URL"] = env["BENCH_REDIS_URL"] = settings.REDIS_URL
    if var_dir:
        env["STUDIO_VAR_DIR"] = var_dir
    return env


def uses_scratch_database(script: Path) -> bool:
    return "scratch_database(" in script.read_text(encoding="utf-8")


class MigratedTemplate:
    """A database migrated once for a lane, that benchmarks/_support/scratch_db.py copies (CREATE DATABASE ...
    TEMPLATE) for each script of the lane instead of migrating one per script. One per lane: a copy needs nobody
    else connected to its template, and the scripts of a lane run one at a time."""

    def __init__(self, database_url: str, suffix: str):
        url = urlsplit(database_url)
        self.name = url.path.lstrip("/") + suffix
        self.url = url._replace(path=f"/{self.name}").geturl()
        self.maintenance = url._replace(path="/postgres").geturl()

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.maintenance, autocommit=True) as conn:
            conn.execute(sql)

    def create(self, env: dict[str, str]) -> str:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._admin(f'CREATE DATABASE "{self.name}"')
        done = subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO_ROOT,
                              env={**env, "DATABASE_URL": self.url}, capture_output=True, text=True, timeout=TIMEOUT)
        if done.returncode:
            raise RuntimeError(f"migrating the template database {self.name} failed:\n{done.stderr[-3000:]}")
        return self.name

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')


@dataclass
class Finished:
    returncode: int | None  # None: killed after TIMEOUT
    stdout: str
    stderr: str
    wall: float
    cpu: float  # user + system seconds of the script and the processes it waited for (its workers)


class Launcher:
    """One lane's launcher process (tests/benchmarks/preloaded.py): torch and transformers imported once, a fork
    per script. Each script still runs in its own process and session, as `python <script> --smoke` would."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen([sys.executable, str(PRELOADED)], cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)

    def reply(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the launcher {PRELOADED.name} exited ({self.proc.wait()}); its stderr is above")
        return json.loads(line)

    def run(self, script: Path, env: dict[str, str]) -> Finished:
        """The script with --smoke; killed (its process group) after TIMEOUT seconds."""
        with tempfile.NamedTemporaryFile() as out, tempfile.NamedTemporaryFile() as err:
            began = time.monotonic()
            self.proc.stdin.write(json.dumps({"script": str(script), "env": env, "stdout": out.name,
                                              "stderr": err.name}) + "\n")
            self.proc.stdin.flush()
            pid = self.reply()["pid"]
            killed = threading.Event()

            def kill():
                killed.set()
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(TIMEOUT, kill)
            timer.start()
            try:
                done = self.reply()
            finally:
                timer.cancel()
            wall = time.monotonic() - began
            out.seek(0)
            err.seek(0)
            return Finished(None if killed.is_set() else done["returncode"], out.read().decode(errors="replace"),
                            err.read().decode(errors="replace"), wall, done["cpu"])

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture(scope="module")
def smoke_runs(request):
    """Starts every script once, in two lanes side by side: the scripts that use Redis one after another (they
    share this session's Redis database, whose queues their workers read), the others beside them without Redis.
    Each test waits for its own script, so a failure names the script. Only the selected tests' scripts run."""
    scripts = [item.callspec.params["script"] for item in request.session.items
               if getattr(item, "originalname", None) == "test_benchmark_prints_its_last_line_in_smoke_mode"]
    runnable_django = True
    try:
        require_redis_and_postgres()
    except pytest.skip.Exception:
        runnable_django = False
    scripts = [s for s in scripts if runnable_django or not needs_django(s)]
    var_dir = tempfile.TemporaryDirectory(prefix="bench-smoke-var-")
    lanes = [([s for s in scripts if uses_redis(s)], smoke_env()),
             ([s for s in scripts if not uses_redis(s)], smoke_env(redis=False, var_dir=var_dir.name))]
    futures: dict[str, Future] = {}
    pool = ThreadPoolExecutor(max_workers=2)
    lane_futures = []
    for lane, env in lanes:
        gates = {s.stem: Future() for s in lane}
        futures.update(gates)

        def work(lane=lane, gates=gates, env=env, index=len(lane_futures)):
            launcher = template = None
            try:
                if any(uses_scratch_database(s) for s in lane):
                    template = MigratedTemplate(env["DATABASE_URL"], f"_template{index}")
                    env = {**env, TEMPLATE_ENV: template.create(env)}
                launcher = Launcher(env) if lane else None
            except BaseException as e:  # noqa: BLE001 - reported by every test of the lane
                for gate in gates.values():
                    gate.set_exception(e)
                lane = []
            try:
                for s in lane:
                    try:
                        gates[s.stem].set_result(launcher.run(s, env))
                    except BaseException as e:  # noqa: BLE001 - reported by the script's test
                        gates[s.stem].set_exception(e)
            finally:
                if launcher:
                    launcher.close()
                if template:
                    template.drop()
        lane_futures.append(pool.submit(work))
    yield futures
    for f in lane_futures:
        f.result()
    pool.shutdown()
    var_dir.cleanup()
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "benchmark-smoke-times.txt", "a") as f:
        for name, fut in futures.items():
            if fut.done() and fut.exception() is None:
                r = fut.result()
                f.write(f"{name} wall_s={r.wall:.1f} cpu_s={r.cpu:.1f} rc={r.returncode}\n")


@pytest.mark.slow
@pytest.mark.parametrize("script", discover(), ids=lambda p: p.stem)
def test_benchmark_prints_its_last_line_in_smoke_mode(script: Path, smoke_runs):
    if needs_django(script):
        require_redis_and_postgres()
    done: Finished = smoke_runs[script.stem].result()
    assert done.returncode is not None, (f"{script.name} --smoke ran over {TIMEOUT} s:\n{done.stdout[-3000:]}\n"
                                         f"{done.stderr[-3000:]}")
    assert done.returncode == 0, (f"{script.name} --smoke exited {done.returncode}:\n{done.stdout[-3000:]}\n"
                                  f"{done.stderr[-5000:]}")
    parse_last_line(script.stem, done.stdout)


def test_every_benchmark_is_discovered_and_helpers_are_not():
    """The rule that picks the scripts: the ones this project has are found, its helper modules are not."""
    names = {p.stem for p in discover()}
    assert {"export_stream", "batched_runs", "review_scale", "score_cost", "study_scale"} <= names
    assert not names & {"standin_worker", "__init__"}


def test_no_benchmark_needs_the_test_extra_or_tests():
    """A benchmark runs after `make install` alone: nothing in benchmarks/ imports pytest or the tests package."""
    imports = re.compile(r"^\s*(?:from|import)\s+(?:tests|pytest)\b", re.MULTILINE)
    offenders = [str(p.relative_to(REPO_ROOT)) for p in BENCH_DIR.rglob("*.py") if imports.search(p.read_text())]
    assert offenders == []


def test_the_last_line_check_refuses_what_a_reader_could_not_use():
    assert parse_last_line("x", "noise\nx n=4 rows_per_s=12.5 mode=exact\n") == {
        "n": "4", "rows_per_s": "12.5", "mode": "exact"}
    for stdout in ("", "x", "y n=1", "x n=", "x n=fast", "x n=nan", "x n=1 n=2", "x N=1", "x n=1\nsomething else"):
        with pytest.raises(AssertionError):
            parse_last_line("x", stdout)


def test_smoke_mode_from_the_environment_keeps_explicit_options(monkeypatch):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    smoke.add_flag(parser)
    monkeypatch.delenv("BENCH_SMOKE", raising=False)
    args = parser.parse_args(["--repeat", "3"])
    assert not smoke.apply(parser, args, rows=300, repeat=1)
    assert (args.rows, args.repeat) == (200_000, 3)
    monkeypatch.setenv("BENCH_SMOKE", "1")
    assert smoke.apply(parser, args, rows=300, repeat=1)
    assert (args.rows, args.repeat) == (300, 3)  # the size shrinks; what the command line said stays
