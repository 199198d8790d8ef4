"""`make demo`'s launcher on the embedded defaults: an SQLite file and the serverless broker. It serves the
home page and stops both processes cleanly on Ctrl-C (SIGINT to the process group, as a terminal sends)."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_serves_home_page_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PYTEST_VERSION")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        STUDIO_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="demo-test-secret-key-" + "x" * 40,
        HF_HUB_OFFLINE="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(port), "--presets", "alpaca"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 300
        status = None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    status = r.status
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, f"demo did not serve; output:\n{proc.stdout.read() if proc.poll() is not None else ''}"
        assert "ICM Studio" in body
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert "Stopped." in out
        assert "annotator1" in out and "password:" in out
        # Nothing of the demo is left running in its process group (a few seconds for exits already under way).
        gone_by = time.time() + 10
        while time.time() < gone_by:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
