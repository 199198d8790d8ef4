"""The embedded default under people labeling at once: `make demo`'s settings (SQLite in a file, WAL, every
transaction BEGIN IMMEDIATE, a busy timeout) in a real web server process, 20 sessions of five annotators
labeling through the real views, and a separate process writing an ICM batch meanwhile (progress, labels, the
run's completion and recount, through the run services; the search itself is stood in for, see
tests/support/sqlite_demo.py). Before, this gave hundreds of 500 "database is locked" and a failed batch."""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.support import sqlite_demo

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 20


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", SECRET_KEY="sqlite-demo-test-" + "k" * 40,
               STUDIO_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT), DEBUG="0", LOGIN_FAILURE_LIMIT="1000")
    return env


def _run(env: dict, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.support.sqlite_demo", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.rsplit("RESULT ", 1)[1])


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = session.post(f"{base}/accounts/login/", data={"username": username, "password": password,
                                                       "csrfmiddlewaretoken": token},
                     headers={"Referer": f"{base}/accounts/login/"}, timeout=60, allow_redirects=False)
    assert r.status_code == 302, r.text[:500]
    session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{base}/"})
    return session


@pytest.mark.timeout(600)
def test_twenty_sessions_and_a_batch_on_the_demo_sqlite_settings(tmp_path):
    env = _env(tmp_path)
    seeded = _run(env, "setup")
    assert seeded["journal"] == "wal"
    port = _port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        slug = seeded["slug"]
        sessions = [(seeded["users"][i % len(seeded["users"])], _login(base, seeded["users"][i % len(seeded["users"])],
                                                                         seeded["password"])) for i in range(SESSIONS)]
        statuses: Counter = Counter()
        accepted: set[tuple[str, int, bool]] = set()
        failures: list[str] = []
        slow: list[float] = []  # seconds the failed requests took
        lock = threading.Lock()
        barrier = threading.Barrier(SESSIONS + 1)

        def annotate(username: str, session: requests.Session) -> None:
            try:
                barrier.wait(timeout=120)
                for _ in range(200):
                    r = session.post(f"{base}/annotate/{slug}/next/", json={}, timeout=120)
                    with lock:
                        statuses[r.status_code] += 1
                    if r.status_code != 200:
                        continue
                    example = r.json().get("example")
                    if example is None:
                        return
                    label = example["id"] % 2 == 0  # every session of one person gives the same answer
                    t = time.monotonic()
                    r = session.post(f"{base}/annotate/{slug}/label/",
                                     json={"example": example["id"], "label": label, "seconds": 1.0}, timeout=120)
                    with lock:
                        statuses[r.status_code] += 1
                        if r.status_code == 500:
                            slow.append(round(time.monotonic() - t, 1))
                        if r.status_code in (200, 201):
                            accepted.add((username, example["id"], label))
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                with lock:
                    failures.append(repr(e))

        written: dict = {}

        def batch() -> None:
            barrier.wait(timeout=120)
            written.update(_run(env, "writer", str(seeded["run"])))

        threads = [threading.Thread(target=annotate, args=pair) for pair in sessions] + [threading.Thread(target=batch)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=500)
        assert not any(t.is_alive() for t in threads)
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
        (tmp_path / "server.log").write_text(log)
    assert not failures, failures
    errors = [line for line in log.splitlines() if "Error" in line or "Exception" in line]
    assert statuses[500] == 0 and "database is locked" not in log, (slow, errors[:20])
    assert set(statuses) <= {200, 201, 409}, statuses  # 409: a second session of the same person was late

    held = _run(env, "report")
    stored = {(a, e, label) for a, e, label in held["labels"]}
    assert len(stored) == len(held["labels"])  # nobody labeled an example twice
    assert stored == accepted  # every acknowledged label is there, nothing else
    assert max(Counter(e for _, e, _ in stored).values()) <= sqlite_demo.OVERLAP
    assert len(stored) == sqlite_demo.EXAMPLES * sqlite_demo.OVERLAP  # the queue was worked to the end
    assert held["claims"] == []
    assert held["run_state"] == "completed" and written["stored"] == written["labels"] > 0
    assert held["events"] == written["events"] > 0
    assert not held["tallies_differ"]
    print(f"sqlite demo: {sum(statuses.values())} requests {dict(statuses)}, {len(stored)} labels, "
          f"batch {written}")
